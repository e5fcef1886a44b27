// The physical references of the issue-23 targets (bench/targets.ts): clients with nothing of their
// own on top of the wire, to measure what our server and our kernel path add.
//   - rawMcp: MCP over Streamable HTTP with node:http and one keep-alive socket, bodies written by
//     hand, answers parsed with JSON.parse only (no SDK, no fetch, no schema validation).
//   - rawKernel: a kernel websocket ('ws') speaking the Jupyter JSON wire protocol by hand: an
//     execute_request on the shell channel, done at its execute_reply and its iopub "idle" status,
//     with a pong after every message (what the product does against Nagle's delayed ACK).
import * as http from 'http';
import { randomUUID } from 'crypto';
import type * as JS from '@jupyterlab/services';
import { makeWebSocketClass } from '../src/kernels/jupyter';

export interface RawMcp {
  /** One JSON-RPC request; resolves with its result (throws on an error answer). */
  request(method: string, params?: Record<string, unknown>): Promise<any>;
  /** tools/call; throws when the tool answers isError (as lib.ts callOk does for the SDK client). */
  callTool(name: string, args: Record<string, unknown>): Promise<any>;
  close(): void;
}

/** Opens a session (initialize + notifications/initialized) over one keep-alive connection. */
export async function rawMcp(url: string): Promise<RawMcp> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(url);
  let session: string | undefined;
  let id = 0;
  const post = (body: Record<string, unknown>) =>
    new Promise<{ status: number; text: string; type: string }>((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'content-length': data.length,
            ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}),
          },
        },
        (res) => {
          session ??= res.headers['mcp-session-id'] as string | undefined;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), type: String(res.headers['content-type'] ?? '') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  const request = async (method: string, params?: Record<string, unknown>) => {
    const myId = id++;
    const r = await post({ jsonrpc: '2.0', id: myId, method, ...(params ? { params } : {}) });
    // initialize is answered as SSE by the SDK; the rest as JSON (src/server/jsonAnswers.ts).
    const msg = r.type.includes('text/event-stream')
      ? r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))).find((m) => m.id === myId)
      : JSON.parse(r.text);
    if (!msg || msg.error) throw new Error(`${method}: HTTP ${r.status} ${msg?.error?.message ?? r.text.slice(0, 200)}`);
    return msg.result;
  };
  await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'jmcp-bench-raw', version: '1' } });
  const n = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  if (n.status !== 202) throw new Error(`notifications/initialized: HTTP ${n.status}`);
  const callTool = async (name: string, args: Record<string, unknown>) => {
    const r = await request('tools/call', { name, arguments: args });
    if (r.isError) throw new Error(`${name} failed: ${(r.content ?? []).map((c: { text?: string }) => c.text).join(' ').slice(0, 500)}`);
    return r;
  };
  return { request, callTool, close: () => agent.destroy() };
}

export interface RawKernel {
  /** Sends the codes at once; resolves when every reply and the last one's idle status have come. */
  execute(codes: string[]): Promise<void>;
  close(): void;
}

/** A websocket on a running kernel of a Jupyter server (the same kernel another client may use). */
export async function rawKernel(baseUrl: string, token: string, kernelId: string): Promise<RawKernel> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WebSocket } = require('ws') as typeof import('ws');
  const session = randomUUID();
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/api/kernels/${encodeURIComponent(kernelId)}/channels?session_id=${session}`, {
    headers: { Authorization: `token ${token}` },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  /** Parent msg_id → what is still awaited for it. */
  const waiting = new Map<string, { reply: boolean; idle: boolean; done: () => void }>();
  ws.on('message', (data: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.pong();
    const m = JSON.parse(data.toString('utf8'));
    const w = waiting.get(m.parent_header?.msg_id);
    if (!w) return;
    if (m.channel === 'shell' && m.header?.msg_type === 'execute_reply') w.reply = true;
    else if (m.channel === 'iopub' && m.header?.msg_type === 'status' && m.content?.execution_state === 'idle') w.idle = true;
    else return;
    if (w.reply && w.idle) {
      waiting.delete(m.parent_header.msg_id);
      w.done();
    }
  });
  const send = (code: string, last: boolean) =>
    new Promise<void>((done) => {
      const msgId = randomUUID();
      waiting.set(msgId, { reply: false, idle: false, done });
      ws.send(
        JSON.stringify({
          header: { msg_id: msgId, username: 'bench', session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
          parent_header: {},
          metadata: {},
          content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: !last },
          channel: 'shell',
          buffers: [],
        }),
      );
    });
  return {
    execute: async (codes) => {
      await Promise.all(codes.map((c, i) => send(c, i === codes.length - 1)));
    },
    close: () => ws.close(),
  };
}

/**
 * MCP over fetch (undici), answers parsed with JSON.parse: what a minimal fetch-based client pays,
 * such as the one the in-host benches use (bench/host/mcpClient.js).
 */
export async function fetchMcp(url: string): Promise<Pick<RawMcp, 'request'>> {
  let id = 0;
  let session: string | undefined;
  const request = async (method: string, params?: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, ...(params ? { params } : {}) }),
    });
    session ??= res.headers.get('mcp-session-id') ?? undefined;
    const text = await res.text();
    const msg = (res.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))).find((m) => m.id === id - 1)
      : JSON.parse(text);
    if (!msg || msg.error) throw new Error(`${method}: HTTP ${res.status} ${msg?.error?.message ?? text.slice(0, 200)}`);
    return msg.result;
  };
  await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'jmcp-bench-fetch', version: '1' } });
  return { request };
}

/** @jupyterlab/services and its settings for a Jupyter server, made as the product's backend makes them. */
export function libraryFor(url: string, token: string): { S: typeof JS; settings: JS.ServerConnection.ISettings } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S = require('@jupyterlab/services') as typeof JS;
  const settings = S.ServerConnection.makeSettings({
    baseUrl: url,
    wsUrl: url.replace(/^http/, 'ws'),
    token,
    appendToken: false,
    WebSocket: makeWebSocketClass(token, true),
    fetch: globalThis.fetch,
    Request: globalThis.Request,
    Headers: globalThis.Headers,
  });
  return { S, settings };
}
