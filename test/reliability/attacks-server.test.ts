// Attacks on the HTTP server (issue #11, items 6, 7, 8, 10, 12, 15), each written as the attack
// that got through before the fix: malformed bodies buffered whole, slow senders starving a real
// client under the file-descriptor limit, no request time-outs, sessions never limited or reaped,
// cross-site GET /sse without Origin, --host printing an address it does not listen on, no way to
// allow a forwarded Host, --allow-origin without CORS. Real HTTP, the real MCP SDK client and
// server; the CLI as a child process where the process matters (fd limit, memory, printed URL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../src/server/http';
import { silentLogger } from '../../src/util/log';
import { connectClient } from '../helpers/mcp';
import { BIN, INIT, raw, rawSession, REPO, rssKb, sleep, startCli, tempDir, type Cli } from '../helpers/reliability';

/** A real SDK McpServer with a tool that waits (a long call) and one that answers at once. */
function testMcpServer(): McpServer {
  const server = new McpServer({ name: 'attack-test', version: '1' });
  server.registerTool('wait', { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    const token = extra._meta?.progressToken;
    for (let t = 0; t < ms; t += 500) {
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: t, total: ms } });
      await sleep(Math.min(500, ms - t));
    }
    return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
  });
  server.registerTool('echo', { inputSchema: { s: z.string() } }, async ({ s }) => ({ content: [{ type: 'text', text: s }] }));
  return server;
}

function start(o: Partial<HttpServerOptions> = {}): Promise<RunningHttpServer> {
  return startHttpServer({ host: '127.0.0.1', port: 0, maxBodyBytes: 8 * 1024 * 1024, createServer: testMcpServer, log: silentLogger, ...o });
}

/** Resolves when `check` is true, polling; fails after `withinMs` (a bound for a hang, not a speed goal). */
async function eventually(what: string, check: () => boolean | Promise<boolean>, withinMs = 10_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`not within ${withinMs} ms: ${what}`);
}

/** A raw socket that sends `head` and then nothing; resolves to its state. */
function stalled(port: number, head: string, host = '127.0.0.1'): Promise<{ socket: net.Socket; closed: () => boolean; data: () => string }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    let data = '';
    const socket = net.connect(port, host, () => {
      socket.write(head);
      resolve({ socket, closed: () => closed, data: () => data });
    });
    socket.on('data', (d) => (data += d));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

const post = (port: number, len: number) => `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${len}\r\n\r\n`;

describe('item 6: malformed and oversized bodies', () => {
  let cli: Cli;
  let ws: { root: string; cleanup(): void };
  before(async () => {
    ws = tempDir('jmcp-att-body-');
    cli = await startCli(['--port', '0', '--offline', '--root', ws.root]);
  });
  after(async () => {
    await cli?.stop();
    ws?.cleanup();
  });

  test('a 99 MB body malformed at its second byte is refused before the client has sent it (400, connection closed)', async () => {
    const total = 99 * 1024 * 1024;
    const s = await stalled(cli.port, post(cli.port, total) + '{{' + ' '.repeat(64 * 1024));
    await eventually('the 400 arrives while 99 MB are still unsent', () => s.data().includes('\r\n\r\n'));
    assert.match(s.data(), /^HTTP\/1.1 400/);
    assert.match(s.data(), /not valid JSON \(unexpected \\"\{\\" \(expected a \\"key\\"\) at character 1\)/);
    assert.match(s.data(), /connection: close/i);
    await eventually('the server closes the connection', s.closed);
  });

  // The time-out is a hang guard: a connection reset before the answer was read once left a
  // promise that never settled, and the run waited forever (seen at load 16).
  test('three 99 MB bodies malformed half-way, at once: each refused, memory stays bounded, another client keeps working', { timeout: 180_000 }, async () => {
    const client = await connectClient(cli.url);
    const before = rssKb(cli.proc.pid!);
    const half = 50 * 1024 * 1024;
    // A JSON-RPC call whose string argument goes on for 50 MB, then a stray quote: malformed there.
    const head = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_notebooks","arguments":{"pattern":"';
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const send = () =>
      new Promise<{ status: number; body: string; sentMb: number }>((resolve, reject) => {
        let sent = 0;
        let answered = false;
        const req = http.request({ host: '127.0.0.1', port: cli.port, method: 'POST', path: '/mcp', agent: false, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(99 * 1024 * 1024) } }, (res) => {
          answered = true;
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body, sentMb: sent / 1024 / 1024 }));
        });
        // The server closes the connection after its 400 while this client still writes. If the
        // reset reaches this side before the answer is read, the kernel drops the unread answer
        // (the race RFC 9112 §9.6 describes): the connection was refused all the same (status 0).
        req.on('error', (e) => (sent < half ? reject(e) : answered ? undefined : resolve({ status: 0, body: '', sentMb: sent / 1024 / 1024 })));
        req.write(head);
        const pump = () => {
          while (sent < 99 * 1024 * 1024) {
            const piece = sent >= half && sent < half + chunk.length ? Buffer.from('x"' + 'a'.repeat(chunk.length - 2)) : chunk;
            sent += piece.length;
            if (!req.write(piece)) return req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
    const pings: number[] = [];
    let running = true;
    const pinger = (async () => {
      while (running) {
        const t = performance.now();
        await client.ping();
        pings.push(performance.now() - t);
        await sleep(20);
      }
    })();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(cli.proc.pid!))), 50);
    const results = await Promise.all([send(), send(), send()]);
    clearInterval(sampler);
    running = false;
    await pinger;
    assert.ok(results.some((r) => r.status === 400), `no answer was read before the connection closed: ${JSON.stringify(results.map((r) => r.status))}`);
    for (const r of results) {
      if (r.status !== 0) {
        assert.equal(r.status, 400, r.body);
        assert.match(JSON.parse(r.body).error.message, /not valid JSON \(unexpected "a" \(expected "," or "\}"\) at character 52428/);
      }
      assert.ok(r.sentMb < 99, `the client did not have to send the whole body (${r.sentMb.toFixed(0)} MB sent)`);
    }
    // Before: 2.1 GB for three (Buffer.concat + toString + JSON.parse of each). Now: the decoded
    // text up to the bad byte, 50 MB each, and not a copy more.
    const grownMb = (peak - before) / 1024;
    assert.ok(grownMb < 600, `resident memory grew ${grownMb.toFixed(0)} MB`);
    pings.sort((a, b) => a - b);
    const p99 = pings[Math.min(pings.length - 1, Math.floor(pings.length * 0.99))];
    console.log(`# item 6: 3 x 99 MB malformed bodies: memory +${grownMb.toFixed(0)} MB; ping p99 ${p99.toFixed(1)} ms, max ${pings[pings.length - 1].toFixed(1)} ms (${pings.length} pings)`);
    assert.ok((await client.listTools()).tools.length > 10, 'the other client still works');
    await client.close();
  });

  test('invalid UTF-8 in a body is refused as Python refuses it, not turned into U+FFFD', async () => {
    const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","version":"1"}}}')]);
    const r = await raw(cli.port, { body });
    assert.equal(r.status, 400);
    assert.match(r.body, /not valid UTF-8/);
  });
});

describe('item 7: time-outs and the connection cap', () => {
  test('140 slow-body connections under a 64-file limit: a well-behaved client still gets in (the slowest senders are dropped)', async () => {
    const ws = tempDir('jmcp-att-fd-');
    // The attack needs the real fd limit of a real process: the CLI under `ulimit -n 64`.
    const proc = spawn('/bin/bash', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${BIN}" --port 0 --offline --root "${ws.root}"`], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    try {
      await eventually('the CLI listens', () => /listening on http:\/\/\S+\/mcp/.test(err), 20_000);
      const url = /listening on (http:\/\/\S+\/mcp)/.exec(err)![1];
      const port = Number(new URL(url).port);
      const slow: Array<Awaited<ReturnType<typeof stalled>>> = [];
      for (let i = 0; i < 140; i++) slow.push(await stalled(port, post(port, 100_000) + '{"jsonrpc":'));
      const client = await connectClient(url);
      assert.ok((await client.listTools()).tools.length > 10);
      await client.close();
      assert.ok(slow.filter((s) => s.closed()).length > 60, 'the server dropped slow senders to stay under its limit');
      assert.equal(proc.exitCode, null, 'the server is still running');
      for (const s of slow) s.socket.destroy();
    } finally {
      proc.kill();
      ws.cleanup();
    }
  });

  describe('in-process server with short time-outs', () => {
    let srv: RunningHttpServer;
    before(async () => {
      srv = await start({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    });
    after(() => srv?.close());

    test('a request whose headers never end, or whose body stalls, is cut (408) and its connection closed', async () => {
      const headers = await stalled(srv.port, `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nX-Slow: `);
      const body = await stalled(srv.port, post(srv.port, 1000) + '{"jsonrpc":');
      await eventually('the slow-header connection is closed', headers.closed);
      await eventually('the slow-body connection is closed', body.closed);
      assert.match(headers.data(), /^HTTP\/1.1 408/);
      assert.match(body.data(), /^HTTP\/1.1 408/);
    });

    test('a call that takes longer than the request time-out is not cut, as JSON and as an SSE stream with progress; nor is an SSE session', async () => {
      // A legacy SSE stream, open through the whole test (several request time-outs).
      let sseClosed = false;
      let sseEvents = '';
      const sse = http.get({ host: '127.0.0.1', port: srv.port, path: '/sse', agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
        res.on('data', (d) => (sseEvents += d));
        res.on('close', () => (sseClosed = true));
      });
      const client = new Client({ name: 'long', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(srv.url)));
      const plain = await client.callTool({ name: 'wait', arguments: { ms: 2500 } });
      assert.deepEqual(plain.content, [{ type: 'text', text: 'waited 2500 ms' }]);
      const progress: number[] = [];
      const streamed = await client.callTool({ name: 'wait', arguments: { ms: 2500 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
      assert.deepEqual(streamed.content, [{ type: 'text', text: 'waited 2500 ms' }]);
      assert.ok(progress.length >= 3, `progress arrived over the stream (${progress.length})`);
      await client.close();
      assert.match(sseEvents, /event: endpoint/);
      assert.equal(sseClosed, false, 'the SSE stream is still open');
      sse.destroy();
    });
  });
});

describe('item 8: sessions are capped and reaped', () => {
  test('a session cap: the least recently used idle session makes room; when all are busy, 503 with what to do', async () => {
    const srv = await start({ maxSessions: 4 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push(await rawSession(srv.port));
        assert.ok(srv.sessionCount() <= 4, `${srv.sessionCount()} sessions open`);
      }
      const ping = (sid: string) => raw(srv.port, { body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }), headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' } });
      assert.equal((await ping(ids[0])).status, 404, 'the oldest idle session was closed');
      assert.equal((await ping(ids[6])).status, 200, 'the newest works');
      // Four clients with a GET stream open (alive): a fifth is refused, none is cut.
      const streams: http.ClientRequest[] = [];
      for (const sid of ids.slice(3)) {
        await new Promise<void>((resolve) => {
          const req = http.request({ host: '127.0.0.1', port: srv.port, path: '/mcp', method: 'GET', agent: false, headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' } }, (res) => {
            assert.equal(res.statusCode, 200);
            resolve();
          });
          req.end();
          streams.push(req);
        });
      }
      const refused = await raw(srv.port, { body: INIT });
      assert.equal(refused.status, 503);
      assert.match(refused.body, /Too many open sessions \(4\), all busy: close clients you no longer use/);
      assert.equal(refused.headers['retry-after'], '30');
      for (const r of streams) r.destroy();
    } finally {
      await srv.close();
    }
  });

  // The handshake-only limit is 2 s, not less: on a loaded machine the worker's connect and its
  // first call can be more than a few hundred ms apart, and the worker must not be reaped between them.
  test('clients that never send DELETE: a session that never went past the handshake expires soon; a used one stays', async () => {
    const srv = await start({ handshakeIdleMs: 2_000, sessionIdleMs: 60_000 });
    try {
      // As `claude mcp list` or the Inspector CLI: connect, list tools, leave without DELETE.
      const lister = new Client({ name: 'lister', version: '1' });
      const listerTransport = new StreamableHTTPClientTransport(new URL(srv.url));
      await lister.connect(listerTransport);
      await lister.listTools();
      const listerId = listerTransport.sessionId!;
      await lister.close();
      // A client that did work.
      const worker = new Client({ name: 'worker', version: '1' });
      const workerTransport = new StreamableHTTPClientTransport(new URL(srv.url));
      await worker.connect(workerTransport);
      await worker.callTool({ name: 'echo', arguments: { s: 'hi' } });
      const workerId = workerTransport.sessionId!;
      await worker.close();
      const ping = (sid: string) => raw(srv.port, { body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }), headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' } });
      // Watched from the server side: a ping would count as activity and keep the session.
      await eventually('the handshake-only session is closed', () => srv.sessionCount() === 1);
      assert.equal((await ping(listerId)).status, 404, 'the lister\'s session is the one closed');
      assert.equal((await ping(workerId)).status, 200, 'the session that was used is kept');
    } finally {
      await srv.close();
    }
  });

  test('a legacy SSE session with no message for the idle time is reaped, its stream ended', async () => {
    const srv = await start({ sessionIdleMs: 600, handshakeIdleMs: 300 });
    try {
      let ended = false;
      let events = '';
      await new Promise<void>((resolve) => {
        http.get({ host: '127.0.0.1', port: srv.port, path: '/sse', agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
          res.on('data', (d) => {
            events += d;
            resolve();
          });
          res.on('close', () => (ended = true));
        });
      });
      assert.match(events, /event: endpoint/);
      assert.equal(srv.sessionCount(), 1);
      await eventually('the idle SSE session is closed', () => ended && srv.sessionCount() === 0);
    } finally {
      await srv.close();
    }
  });
});

describe('items 10, 12, 15: cross-site requests, --host, --allow-host, --allow-origin', () => {
  // Bounded: before the fix, the cross-site GET /sse got a stream that never ends.
  test('Sec-Fetch-Site: cross-site without Origin is refused on every route (GET /sse opened a session before)', { timeout: 20_000 }, async () => {
    const srv = await start();
    try {
      for (const [method, p] of [['GET', '/sse'], ['POST', '/mcp'], ['POST', '/'], ['GET', '/healthz'], ['POST', '/messages?sessionId=x'], ['OPTIONS', '/mcp']]) {
        const r = await raw(srv.port, { method, path: p, body: method === 'POST' ? INIT : undefined, headers: { 'sec-fetch-site': 'cross-site', ...(method === 'GET' ? { accept: 'text/event-stream' } : {}) } });
        assert.equal(r.status, 403, `${method} ${p}`);
        assert.match(r.body, /Cross-site browser requests are refused/);
      }
      assert.equal(srv.sessionCount(), 0);
      for (const site of ['same-origin', 'none']) assert.equal((await raw(srv.port, { body: INIT, headers: { 'sec-fetch-site': site } })).status, 200, site);
    } finally {
      await srv.close();
    }
  });

  test('--host ::1 and --host 127.0.0.2: the printed URL is where it listens, and a client there is served', async () => {
    const ws = tempDir('jmcp-att-host-');
    try {
      for (const [host, shown] of [['::1', '[::1]'], ['127.0.0.2', '127.0.0.2']]) {
        const cli = await startCli(['--host', host, '--port', '0', '--offline', '--root', ws.root]);
        try {
          assert.equal(new URL(cli.url).hostname, shown, cli.url);
          const client = await connectClient(cli.url);
          assert.ok((await client.listTools()).tools.length > 10, host);
          await client.close();
        } finally {
          await cli.stop();
        }
      }
    } finally {
      ws.cleanup();
    }
  });

  test('--allow-host: a port forward that keeps its Host header (ssh -L 9000:…, docker -p) is served; others still get 403', async () => {
    const ws = tempDir('jmcp-att-allowhost-');
    const cli = await startCli(['--port', '0', '--offline', '--root', ws.root, '--allow-host', 'localhost:9000', '--allow-host', 'mcp.example.internal']);
    try {
      assert.match(cli.stderr(), /allowed hosts localhost:9000, mcp\.example\.internal \(--allow-host\)/);
      for (const host of ['localhost:9000', 'mcp.example.internal', 'mcp.example.internal:443']) {
        assert.equal((await raw(cli.port, { body: INIT, headers: { host } })).status, 200, host);
      }
      for (const host of ['localhost:9001', 'evil.example:9000', 'mcp.example.internal.evil.example']) {
        const r = await raw(cli.port, { body: INIT, headers: { host } });
        assert.equal(r.status, 403, host);
        assert.match(r.body, /--allow-host/);
      }
    } finally {
      await cli.stop();
      ws.cleanup();
    }
  });

  test('--allow-origin serves a browser page: the OPTIONS preflight and the answers carry CORS headers; other origins get none', async () => {
    const page = 'https://notebooks.example.org';
    const srv = await start({ allowedOrigins: [page], authToken: 'cors-token-123456' });
    try {
      const pre = await raw(srv.port, { method: 'OPTIONS', headers: { origin: page, 'sec-fetch-site': 'cross-site', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-session-id' } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], page);
      assert.match(pre.headers['access-control-allow-methods'] as string, /POST/);
      for (const h of ['authorization', 'content-type', 'mcp-session-id', 'mcp-protocol-version']) assert.match(pre.headers['access-control-allow-headers'] as string, new RegExp(h));
      const init = await raw(srv.port, { body: INIT, headers: { origin: page, 'sec-fetch-site': 'cross-site', authorization: 'Bearer cors-token-123456' } });
      assert.equal(init.status, 200);
      assert.equal(init.headers['access-control-allow-origin'], page);
      assert.match(init.headers['access-control-expose-headers'] as string, /mcp-session-id/);
      assert.ok(init.headers['mcp-session-id']);
      const denied = await raw(srv.port, { body: INIT, headers: { origin: 'https://evil.example', authorization: 'Bearer cors-token-123456' } });
      assert.equal(denied.status, 403);
      assert.equal(denied.headers['access-control-allow-origin'], undefined);
      const noToken = await raw(srv.port, { body: INIT, headers: { origin: page } });
      assert.equal(noToken.status, 401, 'CORS does not replace the token');
    } finally {
      await srv.close();
    }
  });
});
