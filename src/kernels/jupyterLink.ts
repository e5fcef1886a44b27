// The Jupyter backend's link to one server: its settings (token, bounded fetch, hardened
// websocket), the errors that name the URL and the fix, the REST call wrapper, and one kernel
// websocket per kernel. The other parts (kernels, sessions, execution) share this one object, so
// the state they have in common (open connections, kernels we own or restart) lives here.
import type * as JS from '@jupyterlab/services';
import { redact, registerSecret, silentLogger, type Logger } from '../util/log';
import { KernelError } from './backend';
import { hubAdvice } from './hub';
import { patientApiClass, safeConnectionClass, services } from './jupyterServices';
import { describeFetchError, displayUrl, parseJupyterUrl, START_HINT, UI_ROUTE, withoutCredentials } from './jupyterUrl';
import { boundedFetch, checkKernelId, makeWebSocketClass, wireFetch, type WireLimits } from './wire';

export type Connection = JS.Kernel.IKernelConnection;

/** The backend's name in kernel lists and results. */
export const BACKEND = 'jupyter';

export interface JupyterBackendOptions {
  /** Base URL of the Jupyter server, e.g. http://127.0.0.1:8888/ (a base path is kept). */
  url: string;
  token?: string;
  log?: Logger;
  /**
   * Answer every websocket message with an unsolicited pong frame (RFC 6455 allows one-way pongs).
   * jupyter_server 1.x never sets TCP_NODELAY on kernel websockets, so its small replies wait in
   * Nagle's buffer for our delayed ACK (~40 ms per round trip); the pong carries that ACK at once.
   * Default true.
   */
  pongAfterMessage?: boolean;
  /** Upper bound on waiting for a kernel websocket to open before refusing work. Default 15 s. */
  connectTimeoutMs?: number;
  /** Time-outs and the size cap of REST answers (wire.ts; the defaults suit real servers). */
  wire?: WireLimits;
  /**
   * The workspace root on this machine. When given, the first run of a notebook's kernel checks
   * that the Jupyter server sees the notebook at its session path, and says where the kernel runs
   * when it does not (relative paths in cells resolve there).
   */
  root?: string;
  /**
   * The Jupyter server's root folder as this machine sees it (a shared filesystem): notebook
   * sessions are opened at the notebook's path relative to it, so kernels start beside notebooks.
   */
  jupyterRoot?: string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True if `p` settles (either way) within `ms`; the timer never outlives the race. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with `p`, or rejects with `onTimeout()` after `ms` (the timer never outlives the race). */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class JupyterLink {
  /** The server URL as shown in messages (never with the token). */
  readonly url: string;
  readonly baseUrl: string;
  readonly token: string;
  readonly log: Logger;
  readonly connectTimeoutMs: number;
  readonly root?: string;
  readonly jupyterRoot?: string;
  private readonly pong: boolean;
  private readonly wire: WireLimits;
  /** Per kernel: the runs waiting on its websocket, told when a frame could not be decoded. */
  readonly badFrameWatchers = new Map<string, Set<(reason: string) => void>>();
  private settingsCache: JS.ServerConnection.ISettings | undefined;
  /** One websocket per kernel, opened on first execute and reused. */
  private readonly connections = new Map<string, Connection>();
  /** Kernels this client is restarting: their 'restarting' status is expected, not a crash. */
  readonly restarting = new Set<string>();
  /**
   * Kernels this backend started (start_kernel, and notebook sessions it created), with their
   * session id: dispose() shuts them down so an MCP server never leaves kernels running behind it.
   * Kernels it merely found (another client's session) are not in here and are left alone.
   */
  readonly owned = new Map<string, string | undefined>();
  private disposed = false;

  constructor(opts: JupyterBackendOptions) {
    this.root = opts.root;
    this.jupyterRoot = opts.jupyterRoot;
    // A token in the URL (?token=T) counts when no token is given separately; credentials in the
    // URL are never sent (and are registered as secrets).
    const parsed = parseJupyterUrl(withoutCredentials(opts.url));
    this.baseUrl = parsed.baseUrl;
    this.url = displayUrl(this.baseUrl);
    this.token = opts.token || parsed.token || '';
    registerSecret(this.token);
    this.log = opts.log ?? silentLogger;
    this.pong = opts.pongAfterMessage ?? true;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 15_000;
    this.wire = opts.wire ?? {};
  }

  get settings(): JS.ServerConnection.ISettings {
    if (!this.settingsCache) {
      const { ServerConnection } = services();
      const u = new URL(this.baseUrl);
      this.settingsCache = ServerConnection.makeSettings({
        baseUrl: this.baseUrl,
        wsUrl: (u.protocol === 'https:' ? 'wss:' : 'ws:') + this.baseUrl.slice(u.protocol.length),
        token: this.token,
        // The websocket class sends the token as a header; keep it out of URLs.
        appendToken: false,
        WebSocket: makeWebSocketClass(this.token, this.pong, (kernelId, error) => this.onBadFrame(kernelId, error)),
        // Every REST call with a time-out and a size cap on its answer (wire.ts).
        fetch: boundedFetch(this.wire),
        Request: globalThis.Request,
        Headers: globalThis.Headers,
      });
    }
    return this.settingsCache;
  }

  // ---- error translation ----------------------------------------------------------------------

  /** Answers why the server cannot be used, or undefined when /api/status answers with our token. */
  async probe(retry = true): Promise<KernelError | undefined> {
    try {
      const res = await wireFetch(this.baseUrl + 'api/status', {
        headers: this.token ? { Authorization: `token ${this.token}` } : {},
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok && !res.redirected) return undefined;
      // Behind a JupyterHub the fix is different (the /user/NAME/ URL, a token's scopes, a
      // stopped server): ask the hub, if one answers there. A redirected answer can be the hub's
      // /hub/user/NAME/ (GET is sent on to /user/NAME/, but every POST fails there).
      const hub = await hubAdvice(this.baseUrl, this.token, res.status);
      if (hub) return hub;
      if (res.ok) return undefined;
      if (res.status === 401 || res.status === 403) return this.authError(res.status);
      const page = UI_ROUTE.exec(new URL(this.baseUrl).pathname);
      return new KernelError(
        `Jupyter server at ${this.url} answered ${res.status} ${res.statusText} to GET /api/status: is this the right URL (base path)?` +
          (page ? ` This looks like the address of a page in JupyterLab: the server's URL is ${new URL(page[1], this.baseUrl).toString()}.` : ''),
        'connection',
      );
    } catch (e) {
      const why = describeFetchError(e);
      // A pooled keep-alive socket to a server that just died fails with "other side closed":
      // ask once more on a fresh connection to learn whether anything still listens.
      if (retry && /^(UND_ERR_SOCKET|ECONNRESET|EPIPE)$/.test(why)) {
        await sleep(200);
        return this.probe(false);
      }
      return this.unreachable(why);
    }
  }

  private unreachable(reason: string): KernelError {
    return new KernelError(`Cannot connect to Jupyter server at ${this.url}: ${reason}. ${START_HINT}.`, 'connection');
  }

  private authError(status: number): KernelError {
    return new KernelError(
      `Jupyter server at ${this.url} refused the token (${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}): ` +
        'check --token (or "token" in the config file / JUPYTER_TOKEN) matches the token the server was started with.',
      'auth',
    );
  }

  notFound(kernelId: string): KernelError {
    return new KernelError(`Kernel not found: ${kernelId}. Call list_kernels to see running kernels, or start_kernel to start one.`, 'not-found');
  }

  /** Turns a @jupyterlab/services failure into a KernelError naming the URL and the fix. */
  async translate(e: unknown, what: string, kernelId?: string): Promise<KernelError> {
    if (e instanceof KernelError) return e;
    const { ServerConnection } = services();
    if (e instanceof ServerConnection.ResponseError) {
      const status = e.response.status;
      // On POST a bad token shows as "'_xsrf' argument missing": any 401/403 means the token
      // (the probe says which fix: a JupyterHub token's scopes, or the server's token).
      if (status === 401 || status === 403) return (await this.probe()) ?? this.authError(status);
      // Behind a JupyterHub a stopped user server answers 424 (503 with the legacy setting).
      if (status === 424 || status === 503) {
        const why = await this.probe();
        if (why) return why;
      }
      if (status === 404 && kernelId) return this.notFound(kernelId);
      const detail = redact(String(e.message ?? '')).split('\n')[0].slice(0, 300);
      return new KernelError(`Jupyter server at ${this.url} failed to ${what}: ${status} ${e.response.statusText}${detail ? ` (${detail})` : ''}`, 'kernel');
    }
    if (e instanceof ServerConnection.NetworkError || e instanceof TypeError) {
      return (await this.probe()) ?? new KernelError(`Jupyter server at ${this.url}: could not ${what}: ${describeFetchError(e)}`, 'connection');
    }
    return new KernelError(`Jupyter server at ${this.url}: could not ${what}: ${redact(e instanceof Error ? e.message : String(e))}`, 'kernel');
  }

  /** Runs one REST call; its failure becomes a KernelError naming the URL and the fix. */
  async rest<T>(what: string, fn: () => Promise<T>, kernelId?: string): Promise<T> {
    this.assertNotDisposed();
    try {
      return await fn();
    } catch (e) {
      const err = await this.translate(e, what, kernelId);
      // jupyter_server 1.x answers 500 "Exception restarting kernel" for an unknown id: ask.
      if (kernelId && err.code === 'kernel' && !(await this.exists(kernelId))) throw this.notFound(kernelId);
      throw err;
    }
  }

  /** Whether the server knows the kernel (true when that cannot be told, to keep the first error). */
  private async exists(kernelId: string): Promise<boolean> {
    try {
      return !!(await services().KernelAPI.getKernelModel(kernelId, this.settings));
    } catch {
      return true;
    }
  }

  private assertNotDisposed(): void {
    if (this.disposed) throw new KernelError('The Jupyter backend was shut down.', 'connection');
  }

  /** The kernel's model from the server; a clear "not found" for an unknown id. */
  async model(kernelId: string): Promise<JS.Kernel.IModel> {
    checkKernelId(kernelId);
    const { KernelAPI } = services();
    const m = await this.rest('get the kernel', () => KernelAPI.getKernelModel(kernelId, this.settings), kernelId);
    if (!m) throw this.notFound(kernelId);
    return m;
  }

  // ---- websocket connections -------------------------------------------------------------------

  /**
   * A frame on a kernel's websocket that is not a Jupyter message (a broken or hostile server, a
   * proxy, the network under http://): the connection is dropped (the next call opens a fresh one)
   * and the runs waiting on it are told, since a reply may have been lost with the frame.
   */
  private onBadFrame(kernelId: string | undefined, error: Error): void {
    const why = redact(error.message.replace(/^Kernel message validation error: /, '')).slice(0, 200);
    this.log.warn(`kernel ${kernelId ?? '?'} on ${this.url}: a websocket frame is not a valid Jupyter message (${why}); the connection was dropped`);
    if (!kernelId) return;
    for (const tell of this.badFrameWatchers.get(kernelId) ?? []) tell(why);
    this.dropConnection(kernelId);
  }

  dropConnection(kernelId: string): void {
    const conn = this.connections.get(kernelId);
    this.connections.delete(kernelId);
    if (conn && !conn.isDisposed) conn.dispose();
  }

  private async connection(kernelId: string): Promise<Connection> {
    const existing = this.connections.get(kernelId);
    if (existing && !existing.isDisposed && existing.status !== 'dead') return existing;
    this.connections.delete(kernelId);
    const model = await this.model(kernelId);
    if (model.execution_state === 'dead') throw this.deadError(kernelId);
    const SafeConnection = safeConnectionClass();
    const api = new (patientApiClass())({ serverSettings: this.settings });
    // handleComms off: comms (widgets) belong to the notebook frontend that may share this kernel.
    const conn = new SafeConnection({ model, serverSettings: this.settings, handleComms: false, kernelAPIClient: api });
    api.owner = conn;
    this.connections.set(kernelId, conn);
    return conn;
  }

  deadError(kernelId: string): KernelError {
    return new KernelError(`Kernel ${kernelId} is dead (its process exited and the server did not revive it). Call restart_kernel with this kernel_id, or start_kernel for a new one.`, 'dead');
  }

  /**
   * A connected websocket for the kernel, within `ms`. Refuses work otherwise: messages sent on a
   * connection that is still 'connecting' are queued and would hang.
   */
  async ready(kernelId: string, ms: number, waitForInfo = false): Promise<Connection> {
    const deadline = Date.now() + ms;
    for (;;) {
      const conn = await this.connected(kernelId, ms, deadline);
      if (!waitForInfo) return conn;
      // conn.info is replaced when the kernel restarts, so wait in short rounds and re-read it. A
      // websocket opened while the server was (re)starting the kernel can stay attached to the old
      // process and never get an answer: start over with a fresh one.
      const remaining = deadline - Date.now();
      if (remaining > 0 && (await settlesWithin(conn.info, Math.min(5000, remaining)))) return conn;
      this.dropConnection(kernelId);
      if (Date.now() >= deadline) {
        throw new KernelError(`Kernel connection timeout: kernel ${kernelId} on ${this.url} did not answer kernel_info within ${Math.round(ms / 1000)} s: it may be stuck starting. Try restart_kernel.`, 'kernel');
      }
    }
  }

  private async connected(kernelId: string, ms: number, deadline: number): Promise<Connection> {
    const conn = await this.connection(kernelId);
    if (conn.connectionStatus === 'connected') return conn;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      const onChange = (_: unknown, status: string) => {
        if (status === 'connected') done(true);
        else if (status === 'disconnected') done(false);
      };
      const done = (v: boolean) => {
        clearTimeout(timer);
        conn.connectionStatusChanged.disconnect(onChange);
        resolve(v);
      };
      conn.connectionStatusChanged.connect(onChange);
      if (conn.connectionStatus === 'connected') done(true);
    });
    if (ok) return conn;
    this.dropConnection(kernelId);
    const why = await this.probe();
    if (why) throw why;
    const m = await this.model(kernelId);
    if (m.execution_state === 'dead') throw this.deadError(kernelId);
    throw new KernelError(
      `Kernel connection timeout: could not open the websocket of kernel ${kernelId} on ${this.url} within ${Math.round(ms / 1000)} s. ` +
        'The REST API answers, so check that proxies allow WebSockets and that the token is accepted on /api/kernels/*/channels.',
      'connection',
    );
  }

  /** Closes the websockets and shuts down the kernels this backend started (3 s at most). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const id of [...this.connections.keys()]) this.dropConnection(id);
    const owned = [...this.owned];
    this.owned.clear();
    if (owned.length === 0) return;
    const { KernelAPI, SessionAPI } = services();
    await Promise.all(
      owned.map(([id, sessionId]) =>
        withTimeout(
          sessionId ? SessionAPI.shutdownSession(sessionId, this.settings) : KernelAPI.shutdownKernel(id, this.settings),
          3000,
          () => new Error('no answer within 3 s'),
        ).then(
          () => this.log.info(`kernel ${id} shut down (the MCP server is stopping)`),
          (e) => this.log.warn(`could not shut down kernel ${id} on ${this.url}: ${redact(e instanceof Error ? e.message : String(e))}`),
        ),
      ),
    );
  }
}
