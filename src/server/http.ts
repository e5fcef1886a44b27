// HTTP front door of the MCP server: Streamable HTTP at /mcp and / (the seed tells clients to use
// http://localhost:3000), legacy SSE at /sse + /messages, and /healthz. Every request passes the
// Host / Origin checks (DNS rebinding) and, when a token is set, the bearer check. One McpServer
// per session; idle sessions are closed so a forgotten client does not hold memory forever.
import * as http from 'http';
import type { AddressInfo } from 'net';
import { randomUUID, timingSafeEqual, createHash } from 'crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { isInitializeRequest, isJSONRPCRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { JsonAnsweringTransport } from './jsonAnswers';
import type { Logger } from '../util/log';
import { SERVER_NAME, SERVER_VERSION } from './mcpServer';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Bearer token clients must send; required when host is not loopback. */
  authToken?: string;
  /** Extra Origin values allowed besides the server's own (browser-based clients). */
  allowedOrigins?: string[];
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Sessions with no request for this long are closed (ms). */
  sessionIdleMs?: number;
  createServer: () => McpServer;
  log: Logger;
  /** Called whenever the number of sessions changes (status bar). */
  onSessionsChanged?: (count: number) => void;
}

export interface RunningHttpServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  sessionCount(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport | SSEServerTransport;
  /** Streamable HTTP sessions: answers plain requests as JSON (jsonAnswers.ts). */
  json?: JsonAnsweringTransport;
  server: McpServer;
  lastSeen: number;
  kind: 'streamable-http' | 'sse';
}

export class HttpStartError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'HttpStartError';
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  if (!isLoopback(opts.host) && !opts.authToken) {
    throw new HttpStartError(
      `Refusing to listen on ${opts.host} without an auth token: anyone who can reach it could run code. Set --auth-token (or JUPYTER_MCP_AUTH_TOKEN), or bind to 127.0.0.1.`,
    );
  }
  const sessions = new Map<string, Session>();
  const log = opts.log;
  const tokenHash = opts.authToken ? createHash('sha256').update(opts.authToken).digest() : undefined;
  let port = opts.port;
  const changed = () => opts.onSessionsChanged?.(sessions.size);

  const closeSession = async (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    changed();
    await s.transport.close().catch(() => undefined);
    await s.server.close().catch(() => undefined);
  };

  // Filled once the port is known (requests only arrive after listen).
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();
  const checkHostAndOrigin = (req: http.IncomingMessage): string | undefined => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) return `Host "${host}" is not allowed (DNS rebinding protection); connect to http://127.0.0.1:${port}.`;
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) return `Origin "${origin}" is not allowed; web pages cannot call this server.`;
    return undefined;
  };

  const checkAuth = (req: http.IncomingMessage): boolean => {
    if (!tokenHash) return true;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return false;
    const given = createHash('sha256').update(m[1].trim()).digest();
    return timingSafeEqual(given, tokenHash);
  };

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname.replace(/\/+$/, '') || '/';
    const refused = checkHostAndOrigin(req);
    if (refused) return sendJson(res, 403, { error: refused });
    if (route === '/healthz') return sendJson(res, 200, { ok: true, name: SERVER_NAME, version: SERVER_VERSION, sessions: sessions.size });
    if (!checkAuth(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="jupyter-mcp"');
      return sendJson(res, 401, { error: 'Missing or wrong bearer token: send "Authorization: Bearer <token>" (see Show Connection Info / --auth-token).' });
    }
    if (route === '/mcp' || route === '/') return handleStreamable(req, res, route);
    if (route === '/sse' && req.method === 'GET') return handleSseOpen(res);
    if (route === '/messages' && req.method === 'POST') return handleSseMessage(req, res, url);
    return sendJson(res, 404, { error: `Not found: ${route}. MCP endpoint: /mcp (Streamable HTTP) or /sse (legacy SSE).` });
  };

  const handleStreamable = async (req: http.IncomingMessage, res: http.ServerResponse, route: string) => {
    const sessionId = header(req, 'mcp-session-id');
    if (req.method === 'GET' && !sessionId && route === '/' && !(req.headers.accept ?? '').includes('text/event-stream')) {
      // A person opening the URL in a browser or curl: say what this is.
      return sendJson(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, mcp: `http://127.0.0.1:${port}/mcp`, sse: `http://127.0.0.1:${port}/sse` });
    }
    let body: unknown;
    if (req.method === 'POST') {
      const parsed = await readJsonBody(req, res, opts.maxBodyBytes);
      if (parsed === NO_BODY) return;
      body = parsed;
    }
    if (sessionId) {
      const s = sessions.get(sessionId);
      if (!s || !(s.transport instanceof StreamableHTTPServerTransport)) {
        return sendJson(res, 404, jsonRpcError(-32001, 'Session not found (it expired or the server restarted): reconnect to start a new session.'));
      }
      s.lastSeen = Date.now();
      if (s.json?.tryAnswer(req, res, body)) return;
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method === 'POST' && isInitialize(body)) {
      const server = opts.createServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, json, server, lastSeen: Date.now(), kind: 'streamable-http' });
          log.info(`session ${id.slice(0, 8)} opened (streamable-http); ${sessions.size} open`);
          changed();
        },
      });
      const json = new JsonAnsweringTransport(transport);
      json.onclose = () => {
        const id = transport.sessionId;
        if (id && sessions.has(id)) {
          sessions.delete(id);
          log.info(`session ${id.slice(0, 8)} closed; ${sessions.size} open`);
          changed();
        }
      };
      await server.connect(json);
      return transport.handleRequest(req, res, body);
    }
    // A GET for the server's SSE stream before any session (the AI SDK client opens one as it
    // starts, then again after initialize): no stream exists yet. Streamable HTTP's answer for "no
    // stream here" is 405, which clients take quietly; a 400 they report as an error.
    if (req.method === 'GET') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, jsonRpcError(-32000, 'No SSE stream without a session: POST "initialize" first, then GET with its mcp-session-id.'));
    }
    // MCP 2026-07-28 clients (SDK 2.x in auto mode, Inspector 2.12, the AI SDK) first POST
    // server/discover without a session. This server speaks the 2025 revisions only, and answers
    // as a 2025 server's JSON-RPC layer does: "method not found", HTTP 200. Both client families
    // fall back to initialize on that, quietly. Not -32022 (UnsupportedProtocolVersion): the AI
    // SDK (@ai-sdk/mcp 2.0.99) then refuses to fall back; nor HTTP 400, which clients report.
    if (req.method === 'POST' && isJSONRPCRequest(body) && body.method === 'server/discover') {
      return sendJson(res, 200, {
        jsonrpc: '2.0',
        id: body.id,
        error: { code: -32601, message: `Method not found: server/discover. This server speaks MCP ${SUPPORTED_PROTOCOL_VERSIONS[0]} and earlier: start with "initialize".` },
      });
    }
    return sendJson(res, 400, jsonRpcError(-32000, 'Bad request: send an "initialize" request first (no valid mcp-session-id header).'));
  };

  const handleSseOpen = async (res: http.ServerResponse) => {
    const transport = new SSEServerTransport('/messages', res);
    const server = opts.createServer();
    sessions.set(transport.sessionId, { transport, server, lastSeen: Date.now(), kind: 'sse' });
    changed();
    log.info(`session ${transport.sessionId.slice(0, 8)} opened (sse); ${sessions.size} open`);
    res.on('close', () => void closeSession(transport.sessionId));
    await server.connect(transport);
  };

  const handleSseMessage = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const id = url.searchParams.get('sessionId') ?? '';
    const s = sessions.get(id);
    if (!s || !(s.transport instanceof SSEServerTransport)) return sendJson(res, 404, { error: 'Unknown SSE session: open /sse again.' });
    const body = await readJsonBody(req, res, opts.maxBodyBytes);
    if (body === NO_BODY) return;
    s.lastSeen = Date.now();
    return s.transport.handlePostMessage(req, res, body);
  };

  const server = http.createServer((req, res) => {
    handler(req, res).catch((e) => {
      log.error(`HTTP ${req.method} ${req.url?.split('?')[0]} failed: ${(e as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, jsonRpcError(-32603, 'Internal server error'));
      else res.end();
    });
  });
  // Long executions keep a request open for minutes; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        reject(new HttpStartError(`Port ${opts.port} on ${opts.host} is already in use (another Jupyter MCP or program). Pick another with --port (or the jupyterMcp.port setting), or stop the other program.`, e.code));
      } else if (e.code === 'EACCES') {
        reject(new HttpStartError(`Not allowed to listen on ${opts.host}:${opts.port}; use a port above 1024.`, e.code));
      } else reject(new HttpStartError(`Cannot listen on ${opts.host}:${opts.port}: ${e.message}`, e.code));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port, opts.host);
  });
  port = (server.address() as AddressInfo).port;
  for (const h of ['127.0.0.1', 'localhost', '[::1]', ...(isLoopback(opts.host) ? [] : [opts.host.toLowerCase()])]) {
    allowedHosts.add(`${h}:${port}`);
    allowedOrigins.add(`http://${h}:${port}`);
  }
  for (const o of opts.allowedOrigins ?? []) allowedOrigins.add(o.toLowerCase());

  const idleMs = opts.sessionIdleMs ?? 60 * 60_000;
  const reaper = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [id, s] of sessions) if (s.lastSeen < cutoff && s.kind === 'streamable-http') void closeSession(id);
  }, Math.min(idleMs, 60_000));
  reaper.unref();

  const displayHost = isLoopback(opts.host) ? '127.0.0.1' : opts.host;
  return {
    url: `http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}/mcp`,
    port,
    host: opts.host,
    sessionCount: () => sessions.size,
    close: async () => {
      clearInterval(reaper);
      await Promise.all([...sessions.keys()].map(closeSession));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const NO_BODY = Symbol('no-body');

/** Reads and parses a JSON body, answering 413 / 400 itself; returns NO_BODY when it did. */
async function readJsonBody(req: http.IncomingMessage, res: http.ServerResponse, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    sendJson(res, 413, jsonRpcError(-32600, `Request too large (${declared} bytes; the limit is ${max}).`));
    req.resume();
    return NO_BODY;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      sendJson(res, 413, jsonRpcError(-32600, `Request too large (over ${max} bytes).`));
      req.destroy();
      return NO_BODY;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    sendJson(res, 400, jsonRpcError(-32700, `Parse error: the body is not valid JSON (${(e as Error).message}).`));
    return NO_BODY;
  }
  // JSON-RPC 2.0: an empty batch is an Invalid Request (the SDK would answer 202 and nothing).
  if (Array.isArray(value) && value.length === 0) {
    sendJson(res, 400, jsonRpcError(-32600, 'Invalid Request: an empty JSON-RPC batch.'));
    return NO_BODY;
  }
  return value;
}

function isInitialize(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((m) => isInitializeRequest(m));
  return isInitializeRequest(body);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
