import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRooConfig, rooEntry, clientSnippets, ConfigMergeError, cursorEntry, isOurCursorEntry, isOurRooEntry, TOKEN_ENV, TOKEN_ENV_REFERENCE } from '../../src/util/clientConfig';

const endpoint = { url: 'http://127.0.0.1:3000/mcp', token: 'tok-123456' };

test('Roo entry is streamable-http with the auth header and a timeout longer than executions', () => {
  const e = rooEntry(endpoint, 300);
  assert.deepEqual(e, { type: 'streamable-http', url: endpoint.url, timeout: 360, headers: { Authorization: 'Bearer tok-123456' } });
  assert.equal(rooEntry(endpoint, 86_400).timeout, 3600);
});

test('merging into .roo/mcp.json keeps other servers, other keys and the user\'s choices on ours', () => {
  const existing = JSON.stringify({
    mcpServers: {
      github: { command: 'gh-mcp', args: [] },
      jupyter: { type: 'sse', url: 'http://old', alwaysAllow: ['read_notebook'], disabledTools: ['execute_cell'] },
    },
    other: true,
  });
  const merged = JSON.parse(mergeRooConfig(existing, rooEntry(endpoint, 300)));
  assert.deepEqual(merged.mcpServers.github, { command: 'gh-mcp', args: [] });
  assert.equal(merged.other, true);
  assert.equal(merged.mcpServers.jupyter.type, 'streamable-http');
  assert.equal(merged.mcpServers.jupyter.url, endpoint.url);
  assert.deepEqual(merged.mcpServers.jupyter.alwaysAllow, ['read_notebook']);
  assert.deepEqual(merged.mcpServers.jupyter.disabledTools, ['execute_cell']);
});

test('a missing or empty file becomes a new config; a broken one is refused, not overwritten', () => {
  assert.ok(JSON.parse(mergeRooConfig(undefined, rooEntry(endpoint, 60))).mcpServers.jupyter);
  assert.ok(JSON.parse(mergeRooConfig('  ', rooEntry(endpoint, 60))).mcpServers.jupyter);
  assert.throws(() => mergeRooConfig('{"mcpServers": {', rooEntry(endpoint, 60)), ConfigMergeError);
  assert.throws(() => mergeRooConfig('[]', rooEntry(endpoint, 60)), /does not hold a JSON object/);
  assert.throws(() => mergeRooConfig('{"mcpServers": []}', rooEntry(endpoint, 60)), /"mcpServers" is not an object/);
});

test('client snippets all point at the URL and carry the token header', () => {
  const s = clientSnippets(endpoint, 300);
  assert.ok(s.length >= 4);
  for (const x of s.slice(0, 4)) {
    assert.ok(x.text.includes(endpoint.url), x.label);
    assert.ok(x.text.includes('Bearer tok-123456'), x.label);
  }
  assert.ok(!clientSnippets({ url: endpoint.url }, 300)[0].text.includes('Authorization'));
});

test('the Roo entry can name the token instead of holding it; Roo-style expansion gives the header back', () => {
  const e = rooEntry({ url: endpoint.url, token: TOKEN_ENV_REFERENCE }, 300) as { headers: { Authorization: string } };
  assert.equal(e.headers.Authorization, `Bearer \${env:${TOKEN_ENV}}`);
  // What Roo Code does before connecting (src/utils/config.ts injectVariables): ${env:NAME} from process.env.
  const expand = (v: unknown, env: Record<string, string>) => JSON.parse(JSON.stringify(v).replace(/\$\{env:(\w+)\}/g, (m, n: string) => env[n] ?? m));
  assert.equal(expand(e, { [TOKEN_ENV]: 'tok-123456' }).headers.Authorization, 'Bearer tok-123456');
  assert.equal(expand(e, {}).headers.Authorization, e.headers.Authorization, 'unset: the reference stays, no token');
});

test('only entries this extension writes are refreshed: loopback HTTP entries, not the person\'s own servers', () => {
  assert.equal(isOurRooEntry(rooEntry(endpoint, 300)), true);
  assert.equal(isOurRooEntry({ type: 'sse', url: 'http://localhost:4000/sse' }), true);
  assert.equal(isOurRooEntry({ command: 'jupyter-mcp', args: ['--stdio'] }), false);
  assert.equal(isOurRooEntry({ type: 'streamable-http', url: 'https://jupyter.example.com/mcp' }), false);
  assert.equal(isOurRooEntry({ type: 'streamable-http', url: 'not a url' }), false);
  assert.equal(isOurRooEntry(undefined), false);
});

test("Cursor's entry is a URL and the header (Cursor tells the transport itself); it can name the token", () => {
  assert.deepEqual(cursorEntry(endpoint), { url: endpoint.url, headers: { Authorization: 'Bearer tok-123456' } });
  assert.deepEqual(cursorEntry({ url: endpoint.url }), { url: endpoint.url });
  const named = cursorEntry({ url: endpoint.url, token: TOKEN_ENV_REFERENCE }) as { headers: { Authorization: string } };
  assert.equal(named.headers.Authorization, `Bearer \${env:${TOKEN_ENV}}`);
  const merged = JSON.parse(mergeRooConfig(JSON.stringify({ mcpServers: { other: { command: 'x' } } }), named));
  assert.deepEqual(merged.mcpServers.other, { command: 'x' });
  assert.deepEqual(merged.mcpServers.jupyter, named);
  assert.ok(clientSnippets(endpoint, 300).some((s) => /Cursor/.test(s.label) && s.text.includes('"url"') && s.text.includes('Bearer tok-123456')));
});

test('only a loopback URL entry without a command counts as our Cursor entry', () => {
  assert.ok(isOurCursorEntry({ url: 'http://127.0.0.1:3000/mcp' }));
  assert.ok(isOurCursorEntry({ url: 'http://localhost:41000/mcp', headers: {} }));
  assert.ok(!isOurCursorEntry({ url: 'https://example.com/mcp' }));
  assert.ok(!isOurCursorEntry({ command: 'jupyter-mcp', url: 'http://127.0.0.1:3000/mcp' }));
  assert.ok(!isOurCursorEntry({ command: 'npx', args: [] }));
  assert.ok(!isOurCursorEntry(null));
});
