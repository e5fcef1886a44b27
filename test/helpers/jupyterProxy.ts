// A small hostile middle-man for tests (issue #18 items 2, 7 and 8): it forwards HTTP and kernel
// WebSockets to a real Jupyter server, and on request
// - injects frames into the kernel websockets it carries (a 16-byte binary frame, a text frame that
//   is not a Jupyter message), as a broken or hostile server, proxy or network would;
// - answers chosen REST routes itself: a huge body, or nothing at all (it accepts and never answers);
// - records every request path, to show which URLs a client built.
// It stands in for what cannot be installed here (a compromised server or proxy); everything it
// forwards is the real Jupyter server's answer.
import * as http from 'http';
import type { AddressInfo, Socket } from 'net';
import { WebSocket, WebSocketServer } from 'ws';

export type Override = { kind: 'huge'; bytes: number; chunked?: boolean } | { kind: 'hang' };

export interface JupyterProxy {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** Method and path of every request received, in order. */
  requests: string[];
  /** Kernel websockets open through the proxy (client side). */
  sockets(): number;
  /** Sends a frame to every kernel websocket's client; resolves with how many got it. */
  inject(frame: 'binary16' | 'text'): number;
  /** Answers `GET|POST <path>` itself from now on (exact path, query ignored); undefined forwards again. */
  override(methodAndPath: string, how: Override | undefined): void;
  close(): Promise<void>;
}

/** Sixteen bytes announcing five offsets it does not have: "Offset is outside the bounds of the DataView". */
export const BINARY16 = (() => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(5n, 0);
  return b;
})();

export async function startJupyterProxy(target: string): Promise<JupyterProxy> {
  const upstream = new URL(target);
  const requests: string[] = [];
  const overrides = new Map<string, Override>();
  const clients = new Set<WebSocket>();
  const hanging = new Set<http.ServerResponse>();
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    requests.push(route);
    const how = overrides.get(route);
    if (how?.kind === 'hang') {
      // Accepts the request, reads it, and never answers.
      req.resume();
      hanging.add(res);
      return;
    }
    if (how?.kind === 'huge') {
      req.resume();
      // Announced, or sent chunked with no length (then only reading tells the size).
      res.writeHead(200, { 'content-type': 'application/json', ...(how.chunked ? {} : { 'content-length': String(how.bytes) }) });
      // A JSON array of one long string, written in 1 MB pieces as the socket drains.
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let left = how.bytes - 4;
      res.write('["');
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end('"]');
      };
      res.on('error', () => undefined);
      pump();
      return;
    }
    const fwd = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(fwd);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  // The protocol the real server chose, handed to our side of the upgrade.
  const chosen = new WeakMap<http.IncomingMessage, string>();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (_protocols, req) => chosen.get(req) || false });
  server.on('upgrade', (req, socket, head) => {
    requests.push(`WS ${(req.url ?? '/').split('?')[0]}`);
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const wsUrl = `ws://${upstream.host}${req.url}`;
    const up = new WebSocket(wsUrl, protocols, { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {} });
    up.on('error', () => socket.destroy());
    up.once('open', () => {
      chosen.set(req, up.protocol);
      wss.handleUpgrade(req, socket, head, (client) => {
        clients.add(client);
        client.on('message', (data, isBinary) => up.readyState === WebSocket.OPEN && up.send(data, { binary: isBinary }));
        up.on('message', (data, isBinary) => client.readyState === WebSocket.OPEN && client.send(data, { binary: isBinary }));
        const end = () => {
          clients.delete(client);
          if (up.readyState === WebSocket.OPEN) up.close();
          if (client.readyState === WebSocket.OPEN) client.close();
        };
        client.on('close', end);
        up.on('close', end);
        client.on('error', end);
      });
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    sockets: () => clients.size,
    inject(frame) {
      let n = 0;
      for (const c of clients) {
        if (c.readyState !== WebSocket.OPEN) continue;
        if (frame === 'binary16') c.send(BINARY16, { binary: true });
        else c.send('hello: this text frame is not a Jupyter message', { binary: false });
        n++;
      }
      return n;
    },
    override(route, how) {
      if (how) overrides.set(route, how);
      else overrides.delete(route);
    },
    async close() {
      for (const c of clients) c.terminate();
      for (const r of hanging) r.destroy();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
