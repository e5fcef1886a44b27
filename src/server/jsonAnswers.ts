// Streamable HTTP lets the server answer a POSTed request either with an SSE stream or with one
// JSON body, request by request; clients must accept both. The SDK's transport chooses once per
// session: SSE always (so progress can stream), or JSON always (and progress is dropped). Most
// calls ask for no progress, and for them SSE only costs: a stream, event framing, a Web
// Request/Response conversion per call (≈ 1 ms of a 5 ms edit here, docs/BENCHMARKS.md).
//
// This wraps the SDK transport of a session and answers a request as JSON when nothing could
// stream for it: one request (not a batch), no progress token, not `initialize`, and headers the
// SDK would accept. Everything else (initialize, batches, notifications, responses, GET, DELETE,
// calls with a progress token, anything unusual) goes through the SDK transport unchanged, which
// also gives its usual errors. A notification the server sends about a request answered as JSON
// (a log message) goes to the session's GET stream, where the client still receives it.
import type * as http from 'http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type MessageExtraInfo, type RequestId } from '@modelcontextprotocol/sdk/types.js';

export class JsonAnsweringTransport implements Transport {
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** Requests being answered as JSON: their HTTP responses, by JSON-RPC id. */
  private readonly pending = new Map<RequestId, http.ServerResponse>();
  private closed = false;

  constructor(readonly inner: StreamableHTTPServerTransport) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      this.closed = true;
      for (const [id, res] of this.pending) answer(res, this.sessionId, { jsonrpc: '2.0', id, error: { code: -32001, message: 'Session closed before the answer: reconnect and call again.' } });
      this.pending.clear();
      this.onclose?.();
    };
    await this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // What is sent comes from the SDK's own protocol layer, never from the wire: telling a response
    // by its shape is enough, and the SDK's zod guards cost ≈ 17 µs per answer here (the error
    // guard builds a zod error for every successful result).
    const id = responseId(message);
    if (id !== undefined) {
      const res = this.pending.get(id);
      if (res) {
        this.pending.delete(id);
        answer(res, this.sessionId, message);
        return;
      }
    }
    const related = options?.relatedRequestId;
    if (related !== undefined && this.pending.has(related)) {
      // No stream belongs to this request: the session's GET stream carries it (or, with none
      // open, the SDK drops it, as it does for any message sent while no stream is listening).
      return this.inner.send(message);
    }
    return this.inner.send(message, options);
  }

  /**
   * Answers the POST as JSON if nothing could stream for it; returns false (having done nothing)
   * when the SDK transport should handle it.
   */
  tryAnswer(req: http.IncomingMessage, res: http.ServerResponse, body: unknown): boolean {
    if (this.closed || req.method !== 'POST' || this.sessionId === undefined) return false;
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') return false;
    const version = req.headers['mcp-protocol-version'];
    if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return false;
    if (!isJSONRPCRequest(body) || body.method === 'initialize' || this.pending.has(body.id)) return false;
    const meta = (body.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
    if (meta?.progressToken !== undefined) return false;

    const id = body.id;
    this.pending.set(id, res);
    // The client went away (it cancelled, or timed out): the answer has nowhere to go.
    res.on('close', () => {
      if (this.pending.get(id) === res) this.pending.delete(id);
    });
    this.onmessage?.(body, { requestInfo: { headers: req.headers } });
    return true;
  }
}

/** The id of a response (a result or an error, no method), undefined for anything else. */
function responseId(message: JSONRPCMessage): RequestId | undefined {
  if ('method' in message || !('result' in message || 'error' in message)) return undefined;
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

function answer(res: http.ServerResponse, sessionId: string | undefined, message: JSONRPCMessage): void {
  if (res.writableEnded || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(message), 'utf8');
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': bytes.length,
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
  });
  res.end(bytes);
}
