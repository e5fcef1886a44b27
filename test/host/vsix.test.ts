// The packaged extension, as users get it: `npm run package` builds the .vsix (in a temporary copy of
// the project, so dist/ of the working tree is left alone), code-server's `--install-extension`
// installs it into a fresh extensions folder, and a real VS Code host (code-server + headless
// chromium, no extension under development) loads it. A real MCP client then talks to the installed
// extension's server over HTTP, with the token the extension publishes in JUPYTER_MCP_PORT_FILE.
// Run alone: `node --import tsx --test test/host/vsix.test.ts` (needs `npm run host:install`).
// Set JUPYTER_MCP_SKIP_HOST_TESTS=1 to skip (e.g. on a machine without apt or network).
import { spawnSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hostUnavailable, installVsix, startHost, waitForFile, type RunningHost } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');


// What of the project a packaging run needs is everything but build output, installs and git.
const NOT_COPIED = new Set(['node_modules', '.git', '.vscode-host', '.vscode-test', '.jupyter-test', 'dist', 'out']);

/**
 * Runs `npm run package` in a temporary copy of the project (node_modules linked, not copied) and
 * returns the .vsix it wrote. Packaging in place would rebuild dist/ under other tests' feet.
 */
function packageVsix(tmp: string): { vsix: string; output: string; ms: number } {
  const copy = path.join(tmp, 'project');
  fs.mkdirSync(copy);
  for (const entry of fs.readdirSync(ROOT)) {
    if (NOT_COPIED.has(entry) || entry.endsWith('.vsix')) continue;
    fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const started = Date.now();
  const r = spawnSync('npm', ['run', 'package'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, NODE_OPTIONS: undefined, npm_config_update_notifier: 'false' },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  assert.equal(r.status, 0, `npm run package failed (exit ${r.status ?? r.signal}):\n${output}`);
  return { vsix: path.join(copy, 'dist', 'jupyter-mcp.vsix'), output, ms: Date.now() - started };
}

/** Entries of a zip file (name, uncompressed size), read from its central directory (no unzip needed). */
export function zipEntries(file: string): { name: string; size: number }[] {
  const buf = fs.readFileSync(file);
  // End of central directory: the last 22 bytes, or earlier when the archive has a comment.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries: { name: string; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, `bad central directory entry ${i} in ${file}`);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    entries.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLen), size });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const skip = hostUnavailable();

test('the packaged .vsix installs into VS Code and its MCP server answers a real client', { skip, timeout: 300_000 }, async () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'install-vscode-host.js')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  assert.equal(r.status, 0, 'node scripts/install-vscode-host.js failed'); // < 1 s when installed

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-mcp-vsix-'));
  let host: RunningHost | undefined;
  let leftover: number[] = [];
  let client: Client | undefined;
  try {
    // 1. Package.
    const { vsix, ms } = packageVsix(tmp);
    assert.ok(fs.existsSync(vsix), `npm run package did not write ${vsix}`);
    const size = fs.statSync(vsix).size;
    const entries = zipEntries(vsix);
    process.stderr.write(`  [vsix] ${path.basename(vsix)}: ${size} bytes (${(size / 1024).toFixed(0)} KiB), ${entries.length} entries, packaged in ${(ms / 1000).toFixed(1)} s\n`);
    // Sizes below are uncompressed.
    for (const e of entries) process.stderr.write(`  [vsix]   ${String(e.size).padStart(9)}  ${e.name}\n`);

    // 2. Only the bundles, manifest, readme, licence and icon: no sources, tests or dependencies.
    const names = entries.map((e) => e.name);
    const forbidden = names.filter((n) => /^extension\/(test|src|node_modules)\//.test(n));
    assert.deepEqual(forbidden, [], 'the .vsix holds files that .vscodeignore should keep out');
    // plotly.js for the MCP Apps output viewer is read from beside runtime.js (src/server/apps).
    for (const needed of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/runtime.js', 'extension/dist/plotly-cartesian.min.js']) {
      assert.ok(names.includes(needed), `the .vsix lacks ${needed}`);
    }
    // The README is the extension's page in VS Code: every picture and document it links to
    // relatively (links are not rewritten, see package.json "package") must be in the .vsix.
    assert.ok(names.includes('extension/readme.md') || names.includes('extension/README.md'), 'the .vsix lacks the README');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const relative = [...readme.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
    assert.ok(relative.some((l) => l.endsWith('.png')), 'no relative picture found in the README: the check below would prove nothing');
    // vsce stores the top-level README.md and CHANGELOG.md as readme.md and changelog.md.
    const shipped = (l: string) => {
      const n = path.posix.normalize(l);
      return names.includes(`extension/${n}`) || (/^(README|CHANGELOG)\.md$/i.test(n) && names.includes(`extension/${n.toLowerCase()}`));
    };
    const missing = relative.filter((l) => !shipped(l));
    assert.deepEqual(missing, [], 'the README links to files the .vsix does not hold (.vscodeignore)');

    // 3. Install it as users do.
    const extensionsDir = path.join(tmp, 'extensions');
    const installed = installVsix(vsix, extensionsDir);
    assert.equal(installed.status, 0, `code-server --install-extension failed:\n${installed.output}`);
    assert.match(installed.output, /successfully installed/);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
    const extDir = path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
    assert.ok(fs.existsSync(path.join(extDir, 'dist', 'extension.js')), `not installed where expected: ${extDir}`);

    // 4. A host with no extension under development: what runs is the installed copy.
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true }); // .vscode/settings.json: port 0
    const portFile = path.join(tmp, 'mcp-port.json');
    host = await startHost({
      extensionPath: null,
      extensionsDir,
      workspace,
      env: { JUPYTER_MCP_PORT_FILE: portFile },
      timeoutMs: 90_000,
    });
    const published = JSON.parse(await waitForFile(portFile, 90_000)) as { port: number; url: string; token: string };
    assert.ok(published.port > 0 && published.token, `unexpected port file: ${JSON.stringify(published)}`);
    assert.ok(!host.log.some((l) => /Loading development extension/.test(l)), 'a development extension was loaded');

    // 5. A real MCP client over Streamable HTTP with the published bearer token.
    client = new Client({ name: 'jupyter-mcp-vsix-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(published.url), { requestInit: { headers: { Authorization: `Bearer ${published.token}` } } }),
    );
    const listed = (await client.callTool({ name: 'list_notebooks', arguments: {} })) as { isError?: boolean; structuredContent?: any; content?: any[] };
    assert.ok(!listed.isError, `list_notebooks failed: ${JSON.stringify(listed.content)}`);
    assert.deepEqual(listed.structuredContent.notebooks.map((n: { path: string }) => n.path), ['smoke.ipynb']);
    const read = (await client.callTool({ name: 'read_notebook', arguments: { path: 'smoke.ipynb' } })) as { isError?: boolean; structuredContent?: any; content?: any[] };
    assert.ok(!read.isError, `read_notebook failed: ${JSON.stringify(read.content)}`);
    const nb = read.structuredContent;
    assert.equal(nb.path, 'smoke.ipynb');
    assert.equal(nb.cell_count, 3);
    assert.deepEqual(nb.notebook.cells.map((c: { cell_type: string }) => c.cell_type), ['markdown', 'code', 'code']);
    assert.deepEqual(nb.notebook.cells.map((c: { id: string }) => c.id), ['a1b2c3d4', 'e5f6a7b8', 'c9d0e1f2']);
    const source = (c: { source: string | string[] }): string => (Array.isArray(c.source) ? c.source.join('') : c.source);
    assert.equal(source(nb.notebook.cells[0]), '# Smoke test\nA small notebook opened by the real-host tests.');
    assert.equal(source(nb.notebook.cells[1]), 'print(1 + 1)');
    const out = nb.notebook.cells[1].outputs[0];
    assert.equal(out.output_type, 'stream');
    assert.equal(Array.isArray(out.text) ? out.text.join('') : out.text, '2\n');
    // And the server really checks the token.
    const denied = await fetch(published.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(denied.status, 401);
  } finally {
    await client?.close().catch(() => undefined);
    if (host) leftover = await host.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
  await assert.rejects(fetch(`http://127.0.0.1:${host!.port}/healthz`), 'code-server still answers after stop()');
});
