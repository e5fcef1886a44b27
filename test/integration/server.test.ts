// The server as clients meet it: the CLI process, Streamable HTTP at /mcp and /, legacy SSE, stdio,
// and the security checks (token, Host, Origin, body size, loopback).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { writeFileSync } from 'fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { call, connectClient, ok, startServer, tempWorkspace } from '../helpers/mcp';
import { BIN, INIT, raw, startCli } from '../helpers/reliability';
import { startHttpServer } from '../../src/server/http';
import { createMcpServer } from '../../src/server/mcpServer';
import { silentLogger } from '../../src/util/log';



describe('standalone CLI', () => {
  test('--help lists every option; a bad option exits 2 with a hint', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    for (const o of ['--port', '--host', '--root', '--config', '--url', '--token', '--offline', '--stdio', '--auth-token', '--check', '--timeout']) assert.ok(help.stdout.includes(o), o);
    const bad = spawnSync(process.execPath, [BIN, '--prot', '4000'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Unknown option "--prot".*--help/);
  });

  test('`--port 0 --offline true` serves /mcp and / to a real client; SIGTERM exits cleanly', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    const cli = await startCli(['--port', '0', '--offline', 'true', '--root', ws.root]);
    const { url } = cli;
    try {
      for (const u of [url, url.replace(/\/mcp$/, '/')]) {
        const c = await connectClient(u);
        const r = await ok(c, 'read_notebook', { path: 'analysis.ipynb', format: 'outline' });
        assert.equal(r.cell_count, 10);
        const k = await call(c, 'list_kernels', {});
        assert.equal(k.isError, true);
        assert.match(k.text, /offline/i);
        await c.close();
      }
    } finally {
      assert.equal((await cli.stop()).code, 0);
      ws.cleanup();
    }
  });

  test('config file in the seed shape is read; a busy port gives a clear message', async () => {
    const ws = tempWorkspace(['analysis.ipynb']);
    writeFileSync(path.join(ws.root, 'config.json'), JSON.stringify({ jupyterServer: { baseUrl: 'http://127.0.0.1:9', token: 'cfg-secret-token' }, offline: true, port: 0 }));
    const first = await startCli(['--config', path.join(ws.root, 'config.json'), '--root', ws.root]);
    try {
      const port = new URL(first.url).port;
      const second = spawnSync(process.execPath, [BIN, '--port', port, '--offline', '--root', ws.root], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(second.status, 1);
      assert.match(second.stderr, new RegExp(`Port ${port} on 127.0.0.1 is already in use.*--port`));
      // The log lines before the failure (buffered, util/log.ts) come out first, none lost.
      assert.match(second.stderr, / info  settings: [^]*\njupyter-mcp: Port /);
      assert.ok(!first.stderr().includes('cfg-secret-token'), 'token never logged');
    } finally {
      await first.stop();
      ws.cleanup();
    }
  });

  test('refuses a non-loopback bind without an auth token', () => {
    const r = spawnSync(process.execPath, [BIN, '--host', '0.0.0.0', '--port', '0', '--offline'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Refusing to listen on 0\.0\.0\.0 without an auth token/);
  });

  test('--stdio speaks MCP on stdout and keeps logs on stderr', async () => {
    const ws = tempWorkspace(['unicode.ipynb']);
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, '--stdio', '--offline', '--root', ws.root], stderr: 'pipe' });
    const client = new Client({ name: 'stdio-test', version: '1' });
    try {
      await client.connect(transport);
      const r = await ok(client, 'read_notebook', { path: 'unicode.ipynb' });
      assert.equal(r.notebook.cells.length, 2);
      const a = await ok(client, 'add_cell', { path: 'unicode.ipynb', cell_type: 'code', source: 'a = 1\nb = 2' });
      assert.equal(a.cell_index, 2);
    } finally {
      await client.close();
      ws.cleanup();
    }
  });
});

describe('HTTP transports and security', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace(['analysis.ipynb']);
  });
  after(() => ws.cleanup());

  test('legacy SSE clients (type: "sse") can call tools', async () => {
    const s = await startServer({ root: ws.root });
    const client = new Client({ name: 'sse-test', version: '1' });
    try {
      await client.connect(new SSEClientTransport(new URL(s.url.replace(/\/mcp$/, '/sse'))));
      const r = await ok(client, 'read_notebook', { path: 'analysis.ipynb', format: 'outline' });
      assert.equal(r.cell_count, 10);
    } finally {
      await client.close();
      await s.close();
    }
  });

  test('with a token: none or a wrong one gets 401, the right one works, and it is never echoed', async () => {
    const token = 'secret-token-1234567890';
    const s = await startServer({ root: ws.root, authToken: token });
    try {
      const port = s.http.port;
      const none = await raw(port, { body: INIT });
      assert.equal(none.status, 401);
      const wrong = await raw(port, { body: INIT, headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      assert.ok(!wrong.body.includes(token));
      const c = await connectClient(s.url, { Authorization: `Bearer ${token}` });
      const r = await ok(c, 'list_notebooks', {});
      assert.ok(r.notebooks.length >= 1);
      await c.close();
    } finally {
      await s.close();
    }
  });

  test('DNS rebinding: a foreign Host or a web page Origin gets 403', async () => {
    const s = await startServer({ root: ws.root });
    try {
      const port = s.http.port;
      const host = await raw(port, { body: INIT, headers: { host: `evil.example:${port}` } });
      assert.equal(host.status, 403);
      assert.match(host.body, /Host .* is not allowed/);
      const origin = await raw(port, { body: INIT, headers: { origin: 'https://evil.example' } });
      assert.equal(origin.status, 403);
      const own = await raw(port, { body: INIT, headers: { origin: `http://localhost:${port}` } });
      assert.equal(own.status, 200);
    } finally {
      await s.close();
    }
  });

  test('malformed JSON gets 400, an oversize body 413, an unknown session 404, and the server stays up', async () => {
    const s = await startServer({ root: ws.root, maxBodyBytes: 64 * 1024 });
    try {
      const port = s.http.port;
      assert.equal((await raw(port, { body: '{"jsonrpc": ' })).status, 400);
      assert.equal((await raw(port, { body: JSON.stringify({ x: 'a'.repeat(100_000) }) })).status, 413);
      assert.equal((await raw(port, { body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', headers: { 'mcp-session-id': 'nope' } })).status, 404);
      assert.equal((await raw(port, { body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' })).status, 400);
      const health = await raw(port, { method: 'GET', path: '/healthz' });
      assert.equal(health.status, 200);
      const c = await connectClient(s.url);
      assert.ok((await c.listTools()).tools.length > 10);
      await c.close();
    } finally {
      await s.close();
    }
  });

  // Streamable HTTP lets the server answer each request as JSON or as an SSE stream; we stream
  // only when the client asked for progress (src/server/jsonAnswers.ts).
  test('plain calls are answered with one JSON body; a call that asks for progress gets an SSE stream', async () => {
    const s = await startServer({ root: ws.root });
    try {
      const port = s.http.port;
      const init = await raw(port, { body: INIT });
      assert.equal(init.status, 200);
      const sid = init.headers['mcp-session-id'] as string;
      const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
      assert.equal((await raw(port, { body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers: h })).status, 202);
      const call = (id: number | string, params: Record<string, unknown>, headers: Record<string, string> = h) =>
        raw(port, { body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }), headers });

      const plain = await call(2, { name: 'read_notebook', arguments: { path: 'analysis.ipynb', format: 'outline' } });
      assert.equal(plain.status, 200);
      assert.match(String(plain.headers['content-type']), /^application\/json/);
      assert.equal(plain.headers['mcp-session-id'], sid);
      const answer = JSON.parse(plain.body);
      assert.equal(answer.id, 2);
      assert.equal(answer.result.structuredContent.cell_count, 10);

      const ping = await raw(port, { body: JSON.stringify({ jsonrpc: '2.0', id: 'p-1', method: 'ping' }), headers: h });
      assert.deepEqual(JSON.parse(ping.body), { jsonrpc: '2.0', id: 'p-1', result: {} });

      // Concurrent calls on one session each get their own answer.
      const many = await Promise.all([10, 11, 12, 13].map((id) => call(id, { name: 'read_notebook', arguments: { path: 'analysis.ipynb', format: 'outline', start_index: id - 10, limit: 1 } })));
      many.forEach((r, k) => {
        const a = JSON.parse(r.body);
        assert.equal(a.id, 10 + k);
        assert.equal(a.result.structuredContent.start_index, k);
      });

      const streamed = await call(3, { name: 'read_notebook', arguments: { path: 'analysis.ipynb', format: 'outline' }, _meta: { progressToken: 'tok' } });
      assert.equal(streamed.status, 200);
      assert.match(String(streamed.headers['content-type']), /^text\/event-stream/);
      assert.match(streamed.body, /"id":3/);

      // What the SDK transport refuses is still refused the same way.
      assert.equal((await call(4, { name: 'list_notebooks', arguments: {} }, { ...h, 'mcp-protocol-version': '1999-01-01' })).status, 400);
      assert.equal((await call(5, { name: 'list_notebooks', arguments: {} }, { ...h, accept: 'application/json' })).status, 406);
      assert.equal((await call(6, { name: 'list_notebooks', arguments: {} }, { ...h, 'content-type': 'text/plain' })).status, 415);
    } finally {
      await s.close();
    }
  });

  test('sessions are counted, and released when the client ends them', async () => {
    const counts: number[] = [];
    const s = await startServer({ root: ws.root });
    const h = await startHttpServer({ host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, createServer: () => createMcpServer(s.context), log: silentLogger, onSessionsChanged: (n) => counts.push(n) });
    try {
      const transports = [new StreamableHTTPClientTransport(new URL(h.url)), new StreamableHTTPClientTransport(new URL(h.url))];
      const clients = transports.map(() => new Client({ name: 'count', version: '1' }));
      await Promise.all(clients.map((c, i) => c.connect(transports[i])));
      assert.equal(h.sessionCount(), 2);
      // What a well-behaved client does on exit: DELETE the session.
      for (const t of transports) await t.terminateSession();
      await Promise.all(clients.map((c) => c.close()));
      assert.equal(h.sessionCount(), 0);
      assert.deepEqual(counts, [1, 2, 1, 0]);
    } finally {
      await h.close();
      await s.close();
    }
  });

  test('code-running tools refuse when the host says no (untrusted VS Code workspace); the rest works', async () => {
    const reason = 'This VS Code workspace is not trusted, so Jupyter MCP will not run code in it.';
    const s = await startServer({ root: ws.root, mayRunCode: () => reason });
    const c = await connectClient(s.url);
    try {
      for (const [name, args] of [
        ['execute_cell', { kernel_id: 'k', code: '1+1' }],
        ['execute_notebook', { path: 'analysis.ipynb' }],
        ['execute_notebook_cell', { path: 'analysis.ipynb', cell_index: 1 }],
      ] as const) {
        const r = await call(c, name, args);
        assert.equal(r.isError, true, name);
        assert.equal(r.text, reason);
      }
      assert.equal((await ok(c, 'read_notebook', { path: 'analysis.ipynb', format: 'outline' })).cell_count, 10);
    } finally {
      await c.close();
      await s.close();
    }
  });
});
