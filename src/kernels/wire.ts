// What crosses the wire to a Jupyter server, bounded: whoever controls that server, a proxy on
// the way, or the network under a plain http:// URL can send anything, and one Jupyter MCP process
// serves every session. So:
// - every REST call has a time-out and its answer a size cap (a server that accepts and never
//   answers cannot hang a call; a 150 MB /api/kernels cannot take the memory);
// - no kernel websocket frame can throw out of the event loop (@jupyterlab/services' decoder
//   throws on a frame that is not a Jupyter message, and nothing above it catches);
// - a kernel id is checked before it is joined into a URL ("." and ".." would name other routes).
import { KernelError } from './backend';

/** Beyond this a Jupyter REST answer is refused: the largest real ones (/api/kernels, /api/sessions) are a few hundred KB. */
export const MAX_REST_BODY_BYTES = 8 * 1024 * 1024;
/** REST calls that return at once on a sound server (lists, models, interrupt, shutdown). */
export const REST_TIMEOUT_MS = 30_000;
/** Starting or restarting a kernel: the server answers once the kernel process is up. */
export const REST_START_TIMEOUT_MS = 120_000;

export interface WireLimits {
  timeoutMs?: number;
  startTimeoutMs?: number;
  maxBodyBytes?: number;
}

/** A REST call that failed here, not on the server: its message says why, for the model. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** Starting a kernel or a session, or restarting one, may take as long as the kernel takes to come up. */
function isStart(method: string, url: string): boolean {
  if (method !== 'POST') return false;
  const path = new URL(url).pathname;
  return /\/api\/(kernels|sessions)\/?$/.test(path) || /\/api\/kernels\/[^/]+\/restart\/?$/.test(path);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * fetch with a time-out that covers the whole answer (headers and body) and a cap on the body's
 * size: the body is read here, up to the cap, and handed on as a complete Response. Failures throw
 * a WireError whose message names the limit.
 */
export function boundedFetch(limits: WireLimits = {}): typeof fetch {
  const max = limits.maxBodyBytes ?? MAX_REST_BODY_BYTES;
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const ms = isStart(request.method, request.url) ? (limits.startTimeoutMs ?? REST_START_TIMEOUT_MS) : (limits.timeoutMs ?? REST_TIMEOUT_MS);
    const timeout = AbortSignal.timeout(ms);
    const signal = AbortSignal.any([request.signal, timeout]);
    const tooSlow = () => new WireError(`no answer within ${seconds(ms)} (timed out): the server accepted the request but did not finish answering it`);
    let res: Response;
    try {
      res = await fetch(request, { signal });
    } catch (e) {
      if (timeout.aborted) throw tooSlow();
      throw e;
    }
    const announced = Number(res.headers.get('content-length') ?? NaN);
    const tooLarge = () => new WireError(`its answer to ${request.method} ${new URL(request.url).pathname} is larger than ${max / 1024 / 1024} MB, the limit for a Jupyter REST answer (is this a Jupyter server?)`);
    if (announced > max) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > max) {
            await reader.cancel().catch(() => undefined);
            throw tooLarge();
          }
          chunks.push(value);
        }
      } catch (e) {
        if (e instanceof WireError) throw e;
        if (timeout.aborted) throw tooSlow();
        throw e;
      }
    }
    // A null-body status cannot be given a body, not even an empty one.
    const body = [101, 204, 205, 304].includes(res.status) ? null : Buffer.concat(chunks);
    const out = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    // A constructed Response has neither: the probe reads `redirected` (a hub answers /hub/user/NAME/ by redirecting).
    Object.defineProperties(out, { redirected: { value: res.redirected }, url: { value: res.url } });
    return out;
  }) as typeof fetch;
}

/** One module-wide bounded fetch with the default limits, for the few direct calls (probe, hub). */
export const wireFetch = boundedFetch();

// ---- kernel ids ---------------------------------------------------------------------------------

/**
 * What a kernel id may be before it is put in a URL: one path segment of letters, digits, "-", "_",
 * "." and "~", not starting with a dot (so never "." or ".."). Jupyter's ids are UUIDs; other
 * kernel managers use similar tokens.
 */
const KERNEL_ID = /^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,199}$/;

/** Throws a KernelError naming the fix when `id` cannot be a Jupyter kernel id. */
export function checkKernelId(id: string): void {
  if (typeof id === 'string' && KERNEL_ID.test(id)) return;
  const shown = JSON.stringify(String(id).slice(0, 80));
  throw new KernelError(
    String(id).startsWith('editor:')
      ? `Kernel not found: ${shown} names the kernel of a notebook open in the editor, and no open notebook has it now. Call list_kernels to see running kernels, or start_kernel to start one.`
      : `${shown} is not a kernel id: Jupyter kernel ids look like "3f1c9d2e-8b7a-4c1d-9e2f-0a1b2c3d4e5f" (no "/", not "." or ".."). Call list_kernels and pass one of its ids as kernel_id.`,
    'not-found',
  );
}

// ---- kernel websockets --------------------------------------------------------------------------

/** The kernel id in a kernel websocket URL (…/api/kernels/ID/channels?…), if it is one. */
export function kernelIdOfChannel(url: string): string | undefined {
  const m = /\/api\/kernels\/([^/?#]+)\/channels(?:[?#]|$)/.exec(url);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/**
 * The 'ws' WebSocket class given to @jupyterlab/services: sends the token as an Authorization header
 * (not in the URL, where proxies and error messages would show it), optionally pongs after every
 * message (see JupyterBackendOptions.pongAfterMessage), and runs the library's message and open
 * handlers inside a guard: a frame the library cannot decode or validate is reported through
 * `onBadFrame` instead of throwing out of the socket's event (which would end the process).
 */
export function makeWebSocketClass(token: string | undefined, pongAfterMessage: boolean, onBadFrame?: (kernelId: string | undefined, error: Error) => void): typeof WebSocket {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WS = require('ws') as typeof import('ws');
  class JupyterWebSocket extends WS.WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: token ? { Authorization: `token ${token}` } : {} });
      if (pongAfterMessage) {
        this.on('message', () => {
          if (this.readyState !== WS.WebSocket.OPEN) return;
          try {
            this.pong();
          } catch {
            // The socket closed between the check and the send: nothing to acknowledge any more.
          }
        });
      }
    }
  }
  // The library assigns ws.onmessage / ws.onopen; 'ws' calls them from its socket's data event, so
  // a throw there is an uncaught exception. Accessors on our prototype wrap what is assigned.
  for (const name of ['onmessage', 'onopen'] as const) {
    const base = Object.getOwnPropertyDescriptor(WS.WebSocket.prototype, name);
    if (!base?.get || !base.set) continue;
    Object.defineProperty(JupyterWebSocket.prototype, name, {
      configurable: true,
      enumerable: true,
      get(this: InstanceType<typeof JupyterWebSocket>) {
        return base.get!.call(this);
      },
      set(this: InstanceType<typeof JupyterWebSocket>, handler: unknown) {
        if (typeof handler !== 'function') return base.set!.call(this, handler);
        const socket = this;
        base.set!.call(this, function guarded(this: unknown, event: unknown) {
          try {
            return (handler as (e: unknown) => unknown).call(this, event);
          } catch (e) {
            const error = e instanceof Error ? e : new Error(String(e));
            try {
              onBadFrame?.(kernelIdOfChannel(socket.url), error);
            } finally {
              // Whatever the listener did, this stream can no longer be trusted.
              if (socket.readyState === WS.WebSocket.OPEN || socket.readyState === WS.WebSocket.CONNECTING) socket.terminate();
            }
          }
        });
      },
    });
  }
  return JupyterWebSocket as unknown as typeof WebSocket;
}
