// HTTP front door of the MCP server: Streamable HTTP at /mcp and / (the seed tells clients to use
// http://localhost:3000), legacy SSE at /sse + /messages, and /healthz. Every request passes the
// Host / Origin / Sec-Fetch-Site checks (DNS rebinding, cross-site pages) and, when a token is set,
// the bearer check (httpGuards.ts, with the body checks). One McpServer per session; this file
// routes requests to sessions and transports and keeps sessions and connections within limits.
//
// Abuse limits, each sized so that legitimate use never meets it:
// - bodies are checked as they arrive (jsonBody.ts): a malformed one is refused at its first bad byte;
// - a request must arrive within requestTimeoutMs (headers within headersTimeoutMs); the answer
//   may take as long as the call needs (long executions, SSE streams are not cut);
// - connections are capped below the process's file-descriptor limit; at the cap, the connection
//   that has been sending a request (or nothing) the longest is dropped for the new one, so slow
//   senders cannot lock a well-behaved client out;
// - sessions are capped; sessions with nothing in flight expire when idle, quickly for the ones
//   that never went past the handshake (clients such as `claude mcp list` never send DELETE), and
//   legacy SSE sessions too; at the cap, the least recently used idle session makes room.
import * as http from 'http';
import type { AddressInfo, Socket } from 'net';
import { readFileSync } from 'fs';
import { randomUUID } from 'crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { isInitializeRequest, isJSONRPCRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { JsonAnsweringTransport } from './jsonAnswers';
import { header, isLoopback, jsonRpcError, NO_BODY, readJsonBody, RequestGuard, sendJson } from './httpGuards';
import type { Logger } from '../util/log';
import { SERVER_NAME, SERVER_VERSION } from './mcpServer';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Bearer token clients must send; required when host is not loopback. */
  authToken?: string;
  /** Extra Origin values allowed besides the server's own (browser-based clients); they get CORS headers. */
  allowedOrigins?: string[];
  /** Extra Host header values allowed (proxies, port forwards): "name" (any port) or "name:port". */
  allowedHosts?: string[];
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Sessions with nothing in flight and no request for this long are closed (ms). Default 30 min. */
  sessionIdleMs?: number;
  /** Same, for Streamable HTTP sessions that never went past the handshake (ms). Default 2 min. */
  handshakeIdleMs?: number;
  /** Open sessions at most (both transports). Default 100. */
  maxSessions?: number;
  /** Open connections at most. Default: half the file-descriptor limit, at most 256. */
  maxConnections?: number;
  /** Time to receive a request's headers (ms). Default 20 s. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (ms); the answer is not limited. Default 120 s. */
  requestTimeoutMs?: number;
  /** Interval of the comment line written on legacy SSE streams, so dead peers are noticed (ms). Default 25 s. */
  sseHeartbeatMs?: number;
  createServer: () => McpServer;
  log: Logger;
  /** Called whenever the number of sessions changes (status bar). */
  onSessionsChanged?: (count: number) => void;
}

export interface RunningHttpServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The address the socket is bound to, as the OS reports it (e.g. "::1", "127.0.0.2", "0.0.0.0"). */
  readonly boundAddress: string;
  sessionCount(): number;
  connectionCount(): number;
  close(): Promise<void>;
}

interface Session {
  id: string;
  transport: StreamableHTTPServerTransport | SSEServerTransport;
  /** Streamable HTTP sessions: answers plain requests as JSON (jsonAnswers.ts). */
  json?: JsonAnsweringTransport;
  server: McpServer;
  lastSeen: number;
  kind: 'streamable-http' | 'sse';
  /** HTTP requests of this session whose answer is still open (calls, GET streams). */
  inFlight: number;
  /** Whether the client sent anything beyond the handshake (a tool call, a read). */
  used: boolean;
}

/** Methods a client sends just to connect and look: a session with only these was never used. */
const HANDSHAKE_METHODS = new Set([
  'initialize', 'notifications/initialized', 'ping', 'tools/list', 'prompts/list', 'resources/list',
  'resources/templates/list', 'logging/setLevel', 'notifications/cancelled', 'notifications/roots/list_changed',
]);

/** Per connection: the request it is on, to tell a slow sender from a long answer. */
interface Conn {
  socket: Socket;
  req?: http.IncomingMessage;
  /** When it connected, or started its current request, or went idle. */
  since: number;
  /** Whether a request was ever completed on it (an idle keep-alive connection of a real client). */
  served: boolean;
}

export class HttpStartError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'HttpStartError';
  }
}

// Still exported from here, as before httpGuards.ts.
export { isLoopback } from './httpGuards';

/** Half the soft limit on open files (Linux /proc), at most 256: what is left is for notebooks and Jupyter. */
function defaultMaxConnections(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Math.max(8, Math.min(256, Math.floor(Number(m[1]) / 2)));
  } catch {
    // Not Linux: no limit to read.
  }
  return 256;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  if (!isLoopback(opts.host) && !opts.authToken) {
    throw new HttpStartError(
      `Refusing to listen on ${opts.host} without an auth token: anyone who can reach it could run code. Give one with --auth-token-file FILE or JUPYTER_MCP_AUTH_TOKEN, or bind to 127.0.0.1.`,
    );
  }
  const sessions = new Map<string, Session>();
  const log = opts.log;
  const guard = new RequestGuard(opts);
  let port = opts.port;
  let baseUrl = '';
  const changed = () => opts.onSessionsChanged?.(sessions.size);
  const idleMs = opts.sessionIdleMs ?? 30 * 60_000;
  const handshakeIdleMs = Math.min(opts.handshakeIdleMs ?? 2 * 60_000, idleMs);
  const maxSessions = opts.maxSessions ?? 100;
  const maxConnections = opts.maxConnections ?? defaultMaxConnections();

  const closeSession = async (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    changed();
    await s.transport.close().catch(() => undefined);
    await s.server.close().catch(() => undefined);
  };

  /**
   * Makes room for one more session: at the cap, closes the session that was idle longest (one
   * never used first); false when every session has a call or stream open.
   */
  const roomForSession = (): boolean => {
    if (sessions.size < maxSessions) return true;
    let victim: Session | undefined;
    for (const s of sessions.values()) {
      if (s.kind === 'streamable-http' && s.inFlight > 0) continue;
      if (!victim || (victim.used && !s.used) || (victim.used === s.used && s.lastSeen < victim.lastSeen)) victim = s;
    }
    if (!victim) return false;
    log.info(`session ${victim.id.slice(0, 8)} closed to make room (${maxSessions} sessions open, the limit); it was idle ${Math.round((Date.now() - victim.lastSeen) / 1000)} s`);
    void closeSession(victim.id);
    return true;
  };

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname.replace(/\/+$/, '') || '/';
    const refused = guard.refusal(req);
    if (refused) return sendJson(res, 403, { error: refused });
    guard.addCorsHeaders(req, res);
    // Preflights carry no credentials: answered before the token check.
    if (req.method === 'OPTIONS') return guard.answerPreflight(req, res);
    if (route === '/healthz') return sendJson(res, 200, { ok: true, name: SERVER_NAME, version: SERVER_VERSION, sessions: sessions.size });
    if (!guard.authorized(req)) {
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
      return sendJson(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, mcp: baseUrl + '/mcp', sse: baseUrl + '/sse' });
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
      track(s, res, body);
      if (s.json?.tryAnswer(req, res, body)) return;
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method === 'POST' && isInitialize(body)) {
      if (!roomForSession()) return tooManySessions(res);
      const server = opts.createServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { id, transport, json, server, lastSeen: Date.now(), kind: 'streamable-http', inFlight: 0, used: false });
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

  /** Counts a request of a session while its answer is open, and notes a use beyond the handshake. */
  const track = (s: Session, res: http.ServerResponse, body: unknown) => {
    s.lastSeen = Date.now();
    const messages = Array.isArray(body) ? body : body === undefined ? [] : [body];
    if (messages.some((m) => typeof (m as { method?: unknown })?.method === 'string' && !HANDSHAKE_METHODS.has((m as { method: string }).method))) s.used = true;
    if (s.kind === 'sse') return;
    s.inFlight++;
    res.once('close', () => {
      s.inFlight--;
      s.lastSeen = Date.now();
    });
  };

  const tooManySessions = (res: http.ServerResponse) => {
    res.setHeader('Retry-After', '30');
    sendJson(res, 503, jsonRpcError(-32000, `Too many open sessions (${maxSessions}), all busy: close clients you no longer use, or retry later.`));
  };

  const handleSseOpen = async (res: http.ServerResponse) => {
    if (!roomForSession()) return tooManySessions(res);
    const transport = new SSEServerTransport('/messages', res);
    const server = opts.createServer();
    const id = transport.sessionId;
    sessions.set(id, { id, transport, server, lastSeen: Date.now(), kind: 'sse', inFlight: 0, used: false });
    changed();
    log.info(`session ${id.slice(0, 8)} opened (sse); ${sessions.size} open`);
    // A comment line now and then: writing to a peer that vanished without closing fails, and
    // the session goes with it instead of waiting for the idle expiry.
    const heartbeat = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(': keepalive\n\n');
    }, opts.sseHeartbeatMs ?? 25_000);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      void closeSession(id);
    });
    await server.connect(transport);
  };

  const handleSseMessage = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const id = url.searchParams.get('sessionId') ?? '';
    const s = sessions.get(id);
    if (!s || !(s.transport instanceof SSEServerTransport)) return sendJson(res, 404, { error: 'Unknown SSE session: open /sse again.' });
    const body = await readJsonBody(req, res, opts.maxBodyBytes);
    if (body === NO_BODY) return;
    track(s, res, body);
    return s.transport.handlePostMessage(req, res, body);
  };

  const headersTimeout = opts.headersTimeoutMs ?? 20_000;
  const server = http.createServer({ connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 2))) }, (req, res) => {
    const conn = conns.get(req.socket);
    if (conn) {
      conn.req = req;
      conn.since = Date.now();
      res.once('close', () => {
        if (conn.req !== req) return;
        conn.req = undefined;
        conn.served = true;
        conn.since = Date.now();
      });
    }
    handler(req, res).catch((e) => {
      log.error(`HTTP ${req.method} ${req.url?.split('?')[0]} failed: ${(e as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, jsonRpcError(-32603, 'Internal server error'));
      else res.end();
    });
  });
  // Receiving a request has a deadline; answering it does not: Node's requestTimeout stops
  // counting once the request is complete, so a 10-minute execution or an SSE stream goes on.
  server.headersTimeout = headersTimeout;
  server.requestTimeout = Math.max(opts.requestTimeoutMs ?? 120_000, headersTimeout);

  const conns = new Map<Socket, Conn>();
  let dropped = 0;
  server.on('connection', (socket: Socket) => {
    // Lets the OS notice a peer that vanished while a stream was open.
    socket.setKeepAlive(true, 30_000);
    const conn: Conn = { socket, since: Date.now(), served: false };
    conns.set(socket, conn);
    socket.once('close', () => conns.delete(socket));
    if (conns.size <= maxConnections) return;
    // Full: drop whoever has been sending a request (or nothing) the longest, then an idle
    // keep-alive connection; a connection whose request is complete (a call running, a stream)
    // is never dropped. With none to drop, the newcomer is.
    let victim: Conn | undefined;
    let victimRank = 0;
    for (const c of conns.values()) {
      if (c === conn) continue;
      const receiving = c.req ? !c.req.complete : !c.served;
      const rank = receiving ? 2 : c.req ? 0 : 1;
      if (rank === 0) continue;
      if (rank > victimRank || (rank === victimRank && victim && c.since < victim.since)) {
        victim = c;
        victimRank = rank;
      }
    }
    if (++dropped === 1 || dropped % 100 === 0) log.warn(`${maxConnections} connections open (the limit): dropping ${victim ? 'the slowest sender' : 'new connections'} (${dropped} so far)`);
    (victim?.socket ?? socket).destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        reject(new HttpStartError(`Port ${opts.port} on ${opts.host} is already in use (another Jupyter MCP or program). Pick another with --port (or the jupyterMcp.port setting), or stop the other program.`, e.code));
      } else if (e.code === 'EACCES') {
        reject(new HttpStartError(`Not allowed to listen on ${opts.host}:${opts.port}; use a port above 1024.`, e.code));
      } else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
        reject(new HttpStartError(`Cannot listen on ${opts.host}: no network interface of this machine has that address (${e.code}). Use 127.0.0.1, ::1, or an address this machine has.`, e.code));
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
  const bound = server.address() as AddressInfo;
  port = bound.port;
  baseUrl = guard.listening(bound, opts.host, opts.allowedHosts);

  const reaper = setInterval(() => {
    const now = Date.now();
    for (const s of sessions.values()) {
      // A call running or a GET stream open: the client is there.
      if (s.kind === 'streamable-http' && s.inFlight > 0) continue;
      const limit = s.kind === 'streamable-http' && !s.used ? handshakeIdleMs : idleMs;
      if (now - s.lastSeen <= limit) continue;
      log.info(`session ${s.id.slice(0, 8)} (${s.kind}) closed after ${Math.round((now - s.lastSeen) / 1000)} s idle${s.used ? '' : ' (never used past the handshake)'}`);
      void closeSession(s.id);
    }
  }, Math.max(50, Math.min(handshakeIdleMs, 60_000) / 2));
  reaper.unref();

  return {
    url: `${baseUrl}/mcp`,
    port,
    host: opts.host,
    boundAddress: bound.address,
    sessionCount: () => sessions.size,
    connectionCount: () => conns.size,
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

function isInitialize(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((m) => isInitializeRequest(m));
  return isInitializeRequest(body);
}
