// What every request to the HTTP front door (http.ts) passes before it reaches an MCP session:
// the Host / Origin / Sec-Fetch-Site checks (DNS rebinding, cross-site pages), CORS for the origins
// the user allowed (--allow-origin), the bearer token, and the body (size, UTF-8, JSON syntax).
// Also the small JSON answers these refusals and the routing share.
import type * as http from 'http';
import type { AddressInfo } from 'net';
import { networkInterfaces } from 'os';
import { timingSafeEqual, createHash } from 'crypto';
import { readJson } from './jsonBody';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** "name:port" / "[v6]:port" / "name" -> [name, port | undefined], name lower-cased, IPv6 in brackets. */
function splitHost(value: string): [string, string | undefined] {
  const v = value.trim().toLowerCase();
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(v);
  return m ? [m[1], m[2]] : [v, undefined];
}

/** An address as it appears in a URL or a Host header: IPv6 in brackets. */
function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

const CORS_ALLOW_HEADERS = 'authorization, content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id';
const CORS_EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate';

/** Who may call the server: the Host and Origin values it accepts, the origins with CORS, the token. */
export class RequestGuard {
  // Filled by listening() once the port is known (requests only arrive after listen).
  private readonly allowedHosts = new Set<string>();
  /** Hosts allowed on any port (--allow-host without a port). */
  private readonly anyPortHosts = new Set<string>();
  private readonly allowedOrigins = new Set<string>();
  /** Origins named by the user: they get CORS headers and may be cross-site. */
  private readonly corsOrigins: Set<string>;
  /** The token's hash: compared in constant time, whatever the length of what a client sends. */
  private readonly tokenHash: Buffer | undefined;
  /** The server's own URL, named in refusals. */
  private baseUrl = '';

  constructor(opts: { authToken?: string; allowedOrigins?: string[] }) {
    this.tokenHash = opts.authToken ? createHash('sha256').update(opts.authToken).digest() : undefined;
    this.corsOrigins = new Set((opts.allowedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/+$/, '')));
  }

  /**
   * Allows the names this machine is reached by on the bound port (and the --allow-host ones);
   * returns the base URL to print.
   */
  listening(bound: AddressInfo, host: string, extraHosts: readonly string[] = []): string {
    const port = bound.port;
    const wildcard = bound.address === '0.0.0.0' || bound.address === '::';
    // The URL printed is one a client on this machine can use: the bound address itself, or
    // loopback when bound to every interface.
    this.baseUrl = `http://${wildcard ? '127.0.0.1' : urlHost(bound.address)}:${port}`;
    const names = new Set(['127.0.0.1', 'localhost', '[::1]', urlHost(bound.address)]);
    if (!wildcard) names.add(urlHost(host.toLowerCase()));
    else {
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(urlHost(i.address.toLowerCase()));
    }
    for (const h of names) {
      this.allowedHosts.add(`${h}:${port}`);
      this.allowedOrigins.add(`http://${h}:${port}`);
    }
    for (const h of extraHosts) {
      const [name, p] = splitHost(h);
      if (p) this.allowedHosts.add(`${name}:${p}`);
      else this.anyPortHosts.add(name);
    }
    return this.baseUrl;
  }

  /** Why the request is refused (Host, Origin, cross-site), or undefined when it may go on. */
  refusal(req: http.IncomingMessage): string | undefined {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts.has(host) && !this.anyPortHosts.has(splitHost(host)[0])) {
      return `Host "${host}" is not allowed (DNS rebinding protection); connect to ${this.baseUrl}, or start the server with --allow-host ${host || 'NAME'} (a proxy or port forward).`;
    }
    const origin = req.headers.origin?.toLowerCase();
    if (origin !== undefined && !this.allowedOrigins.has(origin) && !this.corsOrigins.has(origin)) return `Origin "${origin}" is not allowed; web pages cannot call this server (start it with --allow-origin ${origin} to allow that page).`;
    // A browser says where a request comes from even when it sends no Origin (e.g. a GET opened
    // by a page on another site): such a request is refused unless its Origin was allowed.
    if (header(req, 'sec-fetch-site') === 'cross-site' && !(origin && this.corsOrigins.has(origin))) return 'Cross-site browser requests are refused: web pages cannot call this server.';
    return undefined;
  }

  /** CORS headers for a page the user allowed (--allow-origin): the browser needs them to let it read answers. */
  addCorsHeaders(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.isCorsOrigin(req)) return;
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin!);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
  }

  /** Answers a CORS preflight (OPTIONS): they carry no credentials, so this comes before the token check. */
  answerPreflight(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Allow', 'GET, POST, DELETE, OPTIONS');
    if (this.isCorsOrigin(req)) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.writeHead(204).end();
  }

  private isCorsOrigin(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin?.toLowerCase();
    return !!origin && this.corsOrigins.has(origin);
  }

  /** Whether the request carries the bearer token (always, when the server has none). */
  authorized(req: http.IncomingMessage): boolean {
    if (!this.tokenHash) return true;
    const value = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(value);
    if (!m) return false;
    const given = createHash('sha256').update(m[1].trim()).digest();
    return timingSafeEqual(given, this.tokenHash);
  }
}

export const NO_BODY = Symbol('no-body');

/**
 * Reads and parses a JSON body, answering 413 / 400 itself (and closing the connection, so the
 * rest of a refused body is not read); returns NO_BODY when it did.
 */
export async function readJsonBody(req: http.IncomingMessage, res: http.ServerResponse, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    refuseBody(res, 413, `Request too large (${declared} bytes; the limit is ${max}).`);
    return NO_BODY;
  }
  const r = await readJson(req.iterator({ destroyOnReturn: false }), max);
  if (!r.ok) {
    refuseBody(res, r.status, r.message);
    return NO_BODY;
  }
  // JSON-RPC 2.0: an empty batch is an Invalid Request (the SDK would answer 202 and nothing).
  if (Array.isArray(r.value) && r.value.length === 0) {
    sendJson(res, 400, jsonRpcError(-32600, 'Invalid Request: an empty JSON-RPC batch.'));
    return NO_BODY;
  }
  return r.value;
}

function refuseBody(res: http.ServerResponse, status: 400 | 413, message: string): void {
  res.setHeader('Connection', 'close');
  sendJson(res, status, jsonRpcError(status === 413 ? -32600 : -32700, message));
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
