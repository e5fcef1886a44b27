// What the server advertises at initialize is what it does: log notifications at the level the
// client set (logging/setLevel), and no tools.listChanged (the list never changes in a session).
// Real SDK client, real CLI process over stdio (one ordered stream, so "not sent" can be checked
// by what arrives first after it). And the protocol eras: a client of the 2026-07-28 revision
// (the official SDK 2.x client from npm, negotiating as Inspector 2.12 and the AI SDK do) falls
// back to 2025-11-25 without an HTTP error, the Vercel AI SDK client connects without one, and the
// MCP Inspector 2.12 CLI works in the legacy and auto eras.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { node24Tool, runNode24 } from '../helpers/node24';
import { call, startServer, tempWorkspace } from '../helpers/mcp';

const BIN = path.join(__dirname, '..', '..', 'bin', 'jupyter-mcp.js');

describe('advertised capabilities', () => {
  test('logging: nothing before logging/setLevel, then the session’s lines at or above the level, tokens redacted', { timeout: 60_000 }, async () => {
    const ws = tempWorkspace(['unicode.ipynb']);
    const secret = 'jupyter-token-never-shown-3f9a';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, '--stdio', '--offline', '--root', ws.root, '--token', secret],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'protocol-test', version: '1' });
    const messages: LoggingMessageNotification['params'][] = [];
    let arrived: (() => void) | undefined;
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
      arrived?.();
    });
    const next = () => new Promise<void>((r) => (messages.length ? r() : (arrived = r)));
    try {
      await client.connect(transport);
      const caps = client.getServerCapabilities();
      assert.ok(caps?.logging, 'logging is advertised');
      assert.notEqual(caps?.tools?.listChanged, true, 'the tool list never changes, so listChanged must not be promised');

      // Before any setLevel: a failing call sends nothing.
      assert.ok((await call(client, 'read_notebook', { path: 'before-level.ipynb' })).isError);
      // Level "error": a failure is logged at "warning", below it: nothing.
      await client.setLoggingLevel('error');
      assert.ok((await call(client, 'read_notebook', { path: 'below-level.ipynb' })).isError);
      // Level "warning": the failure arrives, naming the call; an ok call (info) does not.
      await client.setLoggingLevel('warning');
      await call(client, 'read_notebook', { path: 'unicode.ipynb' });
      assert.ok((await call(client, 'read_notebook', { path: `at-level-${secret}.ipynb` })).isError);
      await next();
      assert.equal(messages[0].level, 'warning');
      assert.match(String(messages[0].data), /read_notebook at-level-\*\*\*\.ipynb failed/);
      assert.ok(!String(messages[0].data).includes(secret), 'the Jupyter token is redacted');
      assert.ok(!messages.some((m) => /before-level|below-level/.test(String(m.data))), JSON.stringify(messages));

      // Level "info": ok calls are logged too.
      messages.length = 0;
      await client.setLoggingLevel('info');
      await call(client, 'read_notebook', { path: 'unicode.ipynb' });
      await next();
      assert.equal(messages[0].level, 'info');
      assert.match(String(messages[0].data), /read_notebook unicode\.ipynb ok/);
    } finally {
      await client.close();
      ws.cleanup();
    }
  });
});

describe('protocol eras', () => {
  test('a 2026-07-28 client (SDK 2.x, auto negotiation) gets a plain "method not found" to server/discover and goes on in 2025-11-25 with no HTTP error', { timeout: 60_000 }, async () => {
    const ws = tempWorkspace(['unicode.ipynb']);
    const server = await startServer({ root: ws.root });
    const exchanges: { method: string; status: number; rpc?: string }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      let rpc: string | undefined;
      try {
        rpc = JSON.parse(String(init?.body ?? '')).method;
      } catch {
        // GET / DELETE: no body.
      }
      exchanges.push({ method: init?.method ?? 'GET', status: res.status, rpc });
      return res;
    };
    const client = new ModernClient({ name: 'modern-client', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    try {
      await client.connect(new ModernHttpTransport(new URL(server.url), { fetch: recordingFetch }));
      assert.equal(exchanges[0]?.rpc, 'server/discover', 'the client tried 2026-07-28 first');
      assert.deepEqual(exchanges.filter((e) => e.status >= 400), [], JSON.stringify(exchanges));
      assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'read_notebook'));
      const r = (await client.callTool({ name: 'read_notebook', arguments: { path: 'unicode.ipynb', format: 'outline' } })) as { isError?: boolean };
      assert.ok(!r.isError);
    } finally {
      await client.close();
      await server.close();
      ws.cleanup();
    }
  });

  test('the Vercel AI SDK client (@ai-sdk/mcp 2.x, on Node 24) connects, lists and calls tools with no HTTP error and no transport error', { timeout: 300_000 }, async (t) => {
    // @ai-sdk/mcp 2.x needs Node >= 22: it runs on the host tests' Node 24 (test/helpers/node24.ts).
    const tool = node24Tool('ai-sdk', ['@ai-sdk/mcp@2.0.99'], '@ai-sdk/mcp');
    if (typeof tool === 'string') return t.skip(tool);
    const ws = tempWorkspace(['unicode.ipynb']);
    const server = await startServer({ root: ws.root });
    try {
      const r = await runNode24(tool.node24, [path.join(__dirname, 'clients', 'ai-sdk-client.mjs'), server.url], { AI_SDK_DIR: tool.dir });
      assert.equal(r.status, 0, r.stderr);
      const seen = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rpcs: string[]; statuses: string[]; errors: string[]; tools: string[]; listed: number };
      // It tries 2026-07-28 first (server/discover) and must fall back to initialize on its own.
      assert.equal(seen.rpcs[0], 'server/discover');
      assert.ok(seen.rpcs.includes('initialize'));
      assert.ok(seen.tools.includes('read_notebook'));
      assert.ok(seen.listed > 0);
      // The AI SDK opens an SSE GET before initialize: "no stream yet" must be a quiet 405.
      assert.deepEqual(seen.statuses.filter((s) => /\s(4\d\d|5\d\d)$/.test(s) && s !== 'GET 405'), [], seen.statuses.join(', '));
      assert.deepEqual(seen.errors, []);
    } finally {
      await server.close();
      ws.cleanup();
    }
  });

  test('MCP Inspector 2.12 CLI: legacy and auto eras call a tool, nothing on stderr; modern (pinned 2026-07-28) is refused with a clear message', { timeout: 300_000 }, async (t) => {
    // Inspector 2.12 needs Node >= 22.19: it runs on the host tests' Node 24 (test/helpers/node24.ts),
    // never from package.json.
    const tool = node24Tool('inspector', ['@modelcontextprotocol/inspector@2.12.0'], '@modelcontextprotocol/inspector');
    if (typeof tool === 'string') return t.skip(tool);
    const { node24 } = tool;
    const launcher = path.join(tool.dir, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
    const ws = tempWorkspace(['unicode.ipynb']);
    const server = await startServer({ root: ws.root });
    try {
      // The server under test lives in this process: the CLI runs as an async child.
      for (const era of ['legacy', 'auto']) {
        const r = await inspectAsync(node24, launcher, server.url, era, ws.root);
        assert.equal(r.status, 0, `${era}: ${r.stderr}`);
        assert.match(r.stdout, /unicode\.ipynb: all 2 cells/, era);
        assert.equal(r.stderr.trim(), '', `${era}: nothing on stderr`);
      }
      const modern = await inspectAsync(node24, launcher, server.url, 'modern', ws.root);
      assert.notEqual(modern.status, 0);
      assert.match(modern.stdout + modern.stderr, /did not offer pinned protocol version 2026-07-28/);
    } finally {
      await server.close();
      ws.cleanup();
    }
  });
});

/** Runs the Inspector CLI on Node 24 without blocking this process (the server under test runs in it). */
function inspectAsync(node24: string, launcher: string, url: string, era: string, home: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runNode24(node24, [launcher, '--cli', url, '--protocol-era', era, '--method', 'tools/call', '--tool-name', 'read_notebook', '--tool-arg', 'path=unicode.ipynb', 'format=outline'], { HOME: home });
}
