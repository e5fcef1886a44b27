// KernelBackend on a real Jupyter server (remote, or the local one localServer.ts starts), through
// @jupyterlab/services 7. Only the REST helpers and one KernelConnection per kernel are used: the
// managers (KernelManager, SessionManager...) poll on timers and would keep the process alive.
// @jupyterlab/services is require()d lazily so that activating the extension stays cheap.
import { stat } from 'fs/promises';
import * as nodePath from 'path';
import { basename } from 'path';
import type * as JS from '@jupyterlab/services';
import type { KernelMessage } from '@jupyterlab/services';
import type { Output } from '../notebooks/nbformat';
import { redact, registerSecret, silentLogger, type Logger } from '../util/log';
import { KeyedLock } from '../util/keyedLock';
import {
  KernelError,
  type ActiveKernelInfo,
  type CompleteReply,
  type InspectReply,
  type QuietOptions,
  type ExecuteOptions,
  type ExecuteResult,
  type KernelBackend,
  type SequenceOptions,
  type KernelSpecInfo,
} from './backend';
import { hubAdvice } from './hub';
import { OutputCollector } from './outputs';
import * as quiet from './quiet';

type Services = typeof JS;
type Connection = JS.Kernel.IKernelConnection;

let servicesModule: Services | undefined;
/** Loads @jupyterlab/services on first use (it is large; most sessions never run code). */
function services(): Services {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  servicesModule ??= require('@jupyterlab/services') as Services;
  return servicesModule;
}

let safeConnection: Services['KernelConnection'] | undefined;
/**
 * KernelConnection whose reconnect() never rejects. After a server-side auto-restart the library
 * calls `await this.reconnect()` in a detached promise; if the connection is disposed or gives up
 * meanwhile, that rejection is unhandled and would crash Node. Callers here watch
 * connectionStatus themselves, so the rejection carries nothing they need.
 */
function safeConnectionClass(): Services['KernelConnection'] {
  if (!safeConnection) {
    const { KernelConnection } = services();
    safeConnection = class SafeKernelConnection extends KernelConnection {
      override reconnect(): Promise<void> {
        try {
          return super.reconnect().catch(() => undefined);
        } catch {
          return Promise.resolve();
        }
      }
    };
  }
  return safeConnection;
}

type PatientApiClient = JS.KernelAPI.KernelAPIClient & { owner?: { isDisposed: boolean } };
let patientApi: (new (o: { serverSettings: JS.ServerConnection.ISettings }) => PatientApiClient) | undefined;
/**
 * Kernel REST client for one KernelConnection whose getModel() retries on network errors with
 * unref'd timers. When a reconnect attempt fails, the library asks getModel() and, on a network
 * error, retries on its own 10-30 s timer, which cannot be cancelled and keeps Node from exiting
 * long after the connection was disposed. Here the retry stops once the connection is disposed.
 */
function patientApiClass(): NonNullable<typeof patientApi> {
  if (!patientApi) {
    const { KernelAPI, ServerConnection } = services();
    patientApi = class PatientKernelAPIClient extends KernelAPI.KernelAPIClient {
      owner?: { isDisposed: boolean };
      override async getModel(id: string): Promise<JS.Kernel.IModel | undefined> {
        for (;;) {
          try {
            return await super.getModel(id);
          } catch (e) {
            if (!(e instanceof ServerConnection.NetworkError)) throw e;
            if (this.owner?.isDisposed) return undefined;
            await new Promise<void>((r) => setTimeout(r, 3000).unref());
            if (this.owner?.isDisposed) return undefined;
          }
        }
      }
    };
  }
  return patientApi;
}

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

/**
 * Splits a Jupyter URL as people copy it from a browser or from `jupyter server list`
 * (http://host:8888/?token=T, http://hub/user/NAME/?token=T) into the base URL and the token. The
 * query and fragment are never part of a base path.
 */
export function parseJupyterUrl(raw: string): { baseUrl: string; token?: string } {
  const u = new URL(raw);
  const token = u.searchParams.get('token') || undefined;
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return { baseUrl: u.toString(), token };
}

/** JupyterLab / Notebook page routes: a browser URL pasted whole ends in one of these. */
const UI_ROUTE = /^(.*?\/)(?:lab|tree|notebooks|doc|edit|consoles|terminals|voila)(?:\/.*)?$/;

/** Shows a URL without credentials or query string (the token may be in either). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return redact(url);
  }
}

/**
 * The URL without user:password@: they are secrets (registered for redaction) and never sent —
 * fetch refuses such URLs with an error that would quote them, and the Jupyter token is the
 * credential Jupyter MCP sends.
 */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    registerSecret(u.password);
    try {
      registerSecret(decodeURIComponent(u.password));
    } catch {
      // A stray "%": the encoded form is registered, which is the one URLs show.
    }
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

const START_HINT =
  'Start one with `python3 -m jupyter_server --ServerApp.token=TOKEN` (or `jupyter lab`), or pass --url URL --token TOKEN';

/** Names why a fetch failed (undici hides ECONNREFUSED & co. in `cause`). */
export function describeFetchError(e: unknown): string {
  let err = e as { name?: string; message?: string; code?: string; cause?: unknown } | undefined;
  let deepest = (e as Error)?.message ?? String(e);
  for (let i = 0; i < 5 && err; i++) {
    if (err.code && typeof err.code === 'string') return err.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer within 5 s (timed out)';
    if (err.message) deepest = err.message;
    err = err.cause as typeof err;
  }
  // e.g. undici's "bad port" (ports browsers refuse) carries no code, only a message.
  return redact(deepest);
}

/**
 * The 'ws' WebSocket class given to @jupyterlab/services: sends the token as an Authorization header
 * (not in the URL, where proxies and error messages would show it) and optionally pongs after every
 * message (see JupyterBackendOptions.pongAfterMessage).
 */
export function makeWebSocketClass(token: string | undefined, pongAfterMessage: boolean): typeof WebSocket {
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
  return JupyterWebSocket as unknown as typeof WebSocket;
}

/**
 * Sends console output of @jupyterlab/services (console.debug/log/info/warn/error) to stderr, or to
 * a logger: with the stdio transport, stdout carries JSON-RPC and any stray line breaks the client.
 */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True if `p` settles (either way) within `ms`; the timer never outlives the race. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `previous` unless the time-out or the abort signal comes first. */
function waitTurn(previous: Promise<void>, ms: number, signal?: AbortSignal): Promise<'ready' | 'timeout' | 'abort'> {
  return new Promise((resolve) => {
    const done = (v: 'ready' | 'timeout' | 'abort') => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => done('abort');
    const timer = setTimeout(() => done('timeout'), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => done('ready'));
  });
}

/** Resolves with `p`, or rejects with `onTimeout()` after `ms` (the timer never outlives the race). */
async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** An execute request on its way: its future and the outputs collected so far. */
interface Sent {
  future: JS.Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>;
  collector: OutputCollector;
  /** Set after a time-out or cancellation: later outputs (the interrupt's traceback) are dropped. */
  frozen: boolean;
  /** Its outcome is known (the sequence stops waiting on it). */
  settled: boolean;
}

type Outcome =
  | { kind: 'done'; reply: KernelMessage.IExecuteReplyMsg }
  | { kind: 'failed'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'abort' }
  | { kind: 'died'; status: string }
  | { kind: 'lost'; reason: string };

const BACKEND = 'jupyter';

export class JupyterServerBackend implements KernelBackend {
  readonly name = BACKEND;
  /** The server URL as shown in messages (never with the token). */
  readonly url: string;
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly log: Logger;
  private readonly pong: boolean;
  private readonly connectTimeoutMs: number;
  private settingsCache: JS.ServerConnection.ISettings | undefined;
  /** One websocket per kernel, opened on first execute and reused. */
  private readonly connections = new Map<string, Connection>();
  /** Kernels this client is restarting: their 'restarting' status is expected, not a crash. */
  private readonly restarting = new Set<string>();
  /** Per kernel: settles when the last execution this backend queued on it is over. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Serializes kernelForNotebook per notebook so two calls never start two sessions. */
  private readonly notebookLocks = new KeyedLock();
  /**
   * Kernels this backend started (start_kernel, and notebook sessions it created), with their
   * session id: dispose() shuts them down so an MCP server never leaves kernels running behind it.
   * Kernels it merely found (another client's session) are not in here and are left alone.
   */
  private readonly owned = new Map<string, string | undefined>();
  private disposed = false;
  private readonly root?: string;
  private readonly jupyterRoot?: string;
  /** Kernels whose location was checked (the note about it is given once per kernel). */
  private readonly located = new Set<string>();
  /** Kernel id -> its language (from its kernelspec), for the inspection tools. */
  private readonly languages = new Map<string, string>();

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
  }

  private get settings(): JS.ServerConnection.ISettings {
    if (!this.settingsCache) {
      const { ServerConnection } = services();
      const u = new URL(this.baseUrl);
      this.settingsCache = ServerConnection.makeSettings({
        baseUrl: this.baseUrl,
        wsUrl: (u.protocol === 'https:' ? 'wss:' : 'ws:') + this.baseUrl.slice(u.protocol.length),
        token: this.token,
        // The websocket class sends the token as a header; keep it out of URLs.
        appendToken: false,
        WebSocket: makeWebSocketClass(this.token, this.pong),
        fetch: globalThis.fetch,
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
      const res = await fetch(this.baseUrl + 'api/status', {
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

  private notFound(kernelId: string): KernelError {
    return new KernelError(`Kernel not found: ${kernelId}. Call list_kernels to see running kernels, or start_kernel to start one.`, 'not-found');
  }

  /** Turns a @jupyterlab/services failure into a KernelError naming the URL and the fix. */
  private async translate(e: unknown, what: string, kernelId?: string): Promise<KernelError> {
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

  private async rest<T>(what: string, fn: () => Promise<T>, kernelId?: string): Promise<T> {
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

  // ---- kernelspecs and kernels -----------------------------------------------------------------

  private async specs(): Promise<{ default?: string; available: KernelSpecInfo[] }> {
    const { KernelSpecAPI } = services();
    const specs = await this.rest('list kernelspecs', () => KernelSpecAPI.getSpecs(this.settings));
    const available: KernelSpecInfo[] = Object.entries(specs.kernelspecs ?? {})
      .filter(([, s]) => !!s)
      .map(([name, s]) => ({ name, display_name: s!.display_name || name, language: s!.language || '', backend: BACKEND }));
    return { default: specs.default || undefined, available };
  }

  /** The kernelspec to start: `name` if the server has it, else the server's default. */
  private async resolveSpec(name?: string): Promise<string> {
    const { default: def, available } = await this.specs();
    const wanted = name || def || available[0]?.name;
    if (wanted && available.some((s) => s.name === wanted)) return wanted;
    const list = available.map((s) => `${s.name} (${s.display_name})`).join(', ') || 'none';
    throw new KernelError(
      `Unknown kernel "${wanted ?? ''}" on the Jupyter server at ${this.url}. Available kernels: ${list}. ` +
        'Call start_kernel with one of these kernel_name values (and pass its kernel_id), or install the kernelspec on the server.',
      'unknown-spec',
    );
  }

  private toInfo(m: JS.Kernel.IModel, notebook?: string): ActiveKernelInfo {
    return {
      id: m.id,
      name: m.name,
      state: m.execution_state ?? 'unknown',
      ...(m.last_activity ? { last_activity: m.last_activity } : {}),
      ...(typeof m.connections === 'number' ? { connections: m.connections } : {}),
      ...(notebook ? { notebook } : {}),
      backend: BACKEND,
    };
  }

  async listKernels(): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }> {
    const { KernelAPI, SessionAPI } = services();
    const [specs, kernels, sessions] = await Promise.all([
      this.specs(),
      this.rest('list kernels', () => KernelAPI.listRunning(this.settings)),
      this.rest('list sessions', () => SessionAPI.listRunning(this.settings)),
    ]);
    const paths = new Map<string, string>();
    for (const s of sessions) if (s.kernel) paths.set(s.kernel.id, this.workspacePath(s.path));
    return {
      available: specs.available,
      active: kernels.map((k) => this.toInfo(k, paths.get(k.id))),
      ...(specs.default ? { default_kernel: specs.default } : {}),
    };
  }

  private async model(kernelId: string): Promise<JS.Kernel.IModel> {
    const { KernelAPI } = services();
    const m = await this.rest('get the kernel', () => KernelAPI.getKernelModel(kernelId, this.settings), kernelId);
    if (!m) throw this.notFound(kernelId);
    return m;
  }

  async hasKernel(kernelId: string): Promise<boolean> {
    const { KernelAPI } = services();
    return !!(await this.rest('get the kernel', () => KernelAPI.getKernelModel(kernelId, this.settings), kernelId));
  }

  async startKernel(kernelName?: string): Promise<ActiveKernelInfo> {
    const { KernelAPI } = services();
    const name = await this.resolveSpec(kernelName);
    const model = await this.rest(`start a "${name}" kernel`, () => KernelAPI.startNew({ name }, this.settings));
    this.owned.set(model.id, undefined);
    this.log.info(`kernel started ${model.id} (${name}) on ${this.url}`);
    // Wait for the kernel to answer kernel_info so that start failures surface here, not later.
    await this.ready(model.id, 60_000, true);
    return this.toInfo({ ...model, execution_state: 'idle' });
  }

  async stopKernel(kernelId: string): Promise<void> {
    const { KernelAPI } = services();
    // The REST helper treats 404 as success; an unknown id must say so instead.
    await this.model(kernelId);
    this.dropConnection(kernelId);
    await this.rest('shut down the kernel', () => KernelAPI.shutdownKernel(kernelId, this.settings), kernelId);
    this.owned.delete(kernelId);
    this.log.info(`kernel stopped ${kernelId}`);
  }

  async interruptKernel(kernelId: string): Promise<void> {
    const { KernelAPI } = services();
    await this.rest('interrupt the kernel', () => KernelAPI.interruptKernel(kernelId, this.settings), kernelId);
  }

  async restartKernel(kernelId: string): Promise<void> {
    const { KernelAPI } = services();
    this.restarting.add(kernelId);
    try {
      // A fresh websocket after the restart: the old one may point at the old kernel's ports, and
      // the REST restart also revives a kernel whose process died.
      this.dropConnection(kernelId);
      const restart = () => this.rest('restart the kernel', () => KernelAPI.restartKernel(kernelId, this.settings), kernelId);
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await restart();
          break;
        } catch (e) {
          // jupyter_server answers 500 while it is itself reviving a kernel whose process died
          // (its restarter runs every few seconds): wait for that to finish and ask again.
          if (!(e instanceof KernelError) || e.code !== 'kernel' || Date.now() > deadline) throw e;
          await sleep(500);
        }
      }
      await this.ready(kernelId, 60_000, true);
    } finally {
      this.restarting.delete(kernelId);
    }
    this.log.info(`kernel restarted ${kernelId}`);
  }

  async kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo> {
    const sessionPath = this.sessionPath(notebookPath);
    const info = await this.notebookLocks.run(notebookPath, () => this.sessionKernel(sessionPath, kernelName, notebookPath));
    if (this.root && !this.located.has(info.id)) {
      this.located.add(info.id);
      const note = await this.locationNote(notebookPath, sessionPath, info.id).catch(() => undefined);
      if (note) return { ...info, note };
    }
    return info;
  }

  /** Where the Jupyter server finds a workspace notebook: its path under --jupyter-root, if given. */
  private sessionPath(relativePath: string): string {
    if (!this.root || !this.jupyterRoot) return relativePath;
    const inServer = nodePath.relative(this.jupyterRoot, nodePath.resolve(this.root, relativePath));
    // Outside the server's root the server cannot open it: keep the workspace path (and the note).
    if (inServer.startsWith('..') || nodePath.isAbsolute(inServer)) return relativePath;
    return inServer.split(nodePath.sep).join('/');
  }

  /** The workspace path of a session path (the inverse of sessionPath), for list_kernels. */
  private workspacePath(sessionPath: string): string {
    if (!this.root || !this.jupyterRoot) return sessionPath;
    const rel = nodePath.relative(this.root, nodePath.resolve(this.jupyterRoot, sessionPath));
    return rel.startsWith('..') || nodePath.isAbsolute(rel) ? sessionPath : rel.split(nodePath.sep).join('/');
  }

  /**
   * A sentence for the model when the Jupyter server does not hold the notebook at its session
   * path (another machine, a container, another root): the kernel then runs in another folder, and
   * open("data.csv") beside the notebook fails there with nothing saying why.
   */
  private async locationNote(relativePath: string, sessionPath: string, kernelId: string): Promise<string | undefined> {
    let size: number;
    try {
      size = (await stat(nodePath.resolve(this.root!, relativePath))).size;
    } catch {
      return undefined;
    }
    const encoded = sessionPath.split('/').map(encodeURIComponent).join('/');
    const res = await fetch(`${this.baseUrl}api/contents/${encoded}?content=0`, {
      headers: this.token ? { Authorization: `token ${this.token}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    if (res.ok) {
      // The same size is taken as the same file (a shared filesystem); another size, another file.
      const model = (await res.json()) as { size?: unknown };
      if (typeof model.size !== 'number' || model.size === size) return undefined;
    } else if (res.status !== 404) {
      return undefined;
    }
    const cwd = await this.kernelCwd(kernelId);
    return (
      `The kernel runs on the Jupyter server at ${this.url}${cwd ? `, in ${cwd}` : ''}, which does not hold ${relativePath} at ${sessionPath}: ` +
      `relative paths in cells (open("data.csv")) resolve there, not beside the notebook in ${nodePath.dirname(nodePath.resolve(this.root!, relativePath))}. ` +
      'Use absolute paths the server can reach or copy the data there; if the server shares this filesystem, start Jupyter MCP with ' +
      '--jupyter-root set to the server\'s root folder as this machine sees it, so kernels start beside notebooks.'
    );
  }

  /** The kernel's working directory (Python kernels; undefined for others or on any failure). */
  private async kernelCwd(kernelId: string): Promise<string | undefined> {
    try {
      const conn = await this.ready(kernelId, 10_000);
      // A silent request with a user expression: nothing reaches the history or the outputs.
      const future = conn.requestExecute({ code: '', silent: true, store_history: false, allow_stdin: false, stop_on_error: false, user_expressions: { cwd: '__import__("os").getcwd()' } });
      const reply = (await withTimeout(future.done, 10_000, () => new Error('no reply'))) as KernelMessage.IExecuteReplyMsg;
      const expr = (reply.content as { user_expressions?: Record<string, { status?: string; data?: Record<string, unknown> }> }).user_expressions?.cwd;
      const text = expr?.status === 'ok' ? expr.data?.['text/plain'] : undefined;
      return typeof text === 'string' ? text.replace(/^(['"])(.*)\1$/s, '$2') : undefined;
    } catch {
      return undefined;
    }
  }

  private async sessionKernel(path: string, kernelName: string | undefined, notebookPath: string): Promise<ActiveKernelInfo> {
    const { SessionAPI } = services();
    const sessions = await this.rest('list sessions', () => SessionAPI.listRunning(this.settings));
    const existing = sessions.find((s) => s.path === path && s.kernel);
    if (existing?.kernel && existing.kernel.execution_state !== 'dead') return this.toInfo(existing.kernel, notebookPath);
    const name = await this.resolveSpec(kernelName);
    if (existing) await this.rest('remove a dead session', () => SessionAPI.shutdownSession(existing.id, this.settings)).catch(() => undefined);
    const session = await this.rest(`start a "${name}" kernel for ${path}`, () =>
      SessionAPI.startSession({ path, name: basename(path), type: 'notebook', kernel: { name } }, this.settings),
    );
    if (!session.kernel) throw new KernelError(`Jupyter server at ${this.url} created a session for ${path} without a kernel.`, 'kernel');
    this.owned.set(session.kernel.id, session.id);
    this.log.info(`kernel ${session.kernel.id} (${name}) started for ${path}`);
    await this.ready(session.kernel.id, 60_000, true);
    return this.toInfo({ ...session.kernel, execution_state: 'idle' }, notebookPath);
  }

  // ---- websocket connections -------------------------------------------------------------------

  private dropConnection(kernelId: string): void {
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

  private deadError(kernelId: string): KernelError {
    return new KernelError(`Kernel ${kernelId} is dead (its process exited and the server did not revive it). Call restart_kernel with this kernel_id, or start_kernel for a new one.`, 'dead');
  }

  /**
   * A connected websocket for the kernel, within `ms`. Refuses work otherwise: messages sent on a
   * connection that is still 'connecting' are queued and would hang.
   */
  private async ready(kernelId: string, ms: number, waitForInfo = false): Promise<Connection> {
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

  // ---- execution --------------------------------------------------------------------------------

  /**
   * Runs code after the previous run this backend sent to the same kernel has finished (including
   * its interrupt after a time-out). Otherwise a queued request's time-out would interrupt someone
   * else's code, and a request queued behind a failing one could be aborted by the kernel.
   */
  async execute(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    const started = Date.now();
    const turn = await this.takeTurn(kernelId, opts.timeoutMs, opts.signal);
    try {
      if (turn.nothingRun) return turn.nothingRun;
      return await this.executeNow(kernelId, code, { ...opts, timeoutMs: Math.max(1, opts.timeoutMs - (Date.now() - started)) });
    } finally {
      turn.release();
    }
  }

  private async executeNow(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    const started = Date.now();
    if (opts.signal?.aborted) return { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the code started.' };
    const conn = await this.ready(kernelId, Math.max(1000, Math.min(this.connectTimeoutMs, opts.timeoutMs)));
    if (conn.status === 'dead') throw this.deadError(kernelId);
    // stop_on_error: false. Our requests to a kernel are one at a time (execute()), so there is no
    // queue of ours to abort; with true, ipykernel aborts whatever arrives just after an error
    // reply (stop_on_error_timeout), so an agent's next call could come back "aborted".
    const sent = await this.send(conn, code, false, opts.onOutput);
    return this.settle(kernelId, conn, sent, started, opts.timeoutMs, opts.signal);
  }

  /**
   * Runs cells back to back at the kernel's own pace: every execute request is sent at once (the
   * kernel queues them), so no cell waits for a round trip after the previous one. Results come
   * in order. After a cell that does not end "ok" (error, time-out, cancellation) the sequence
   * stops: the requests after it carry stop_on_error, so the kernel aborts them without running
   * them, and the kernel is free again once their "aborted" replies are in. Each cell's time-out
   * counts from the end of the previous one.
   */
  async *executeSequence(kernelId: string, codes: readonly string[], opts: SequenceOptions): AsyncGenerator<ExecuteResult, void, undefined> {
    const turn = await this.takeTurn(kernelId, opts.timeoutMs, opts.signal);
    const sent: Sent[] = [];
    try {
      if (turn.nothingRun) {
        yield turn.nothingRun;
        return;
      }
      if (opts.signal?.aborted) {
        yield { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the code started.' };
        return;
      }
      const conn = await this.ready(kernelId, Math.max(1000, Math.min(this.connectTimeoutMs, opts.timeoutMs)));
      if (conn.status === 'dead') throw this.deadError(kernelId);
      // The last request needs no stop_on_error (nothing of ours follows it), and without it an
      // agent's next call cannot meet the kernel's short abort window after an error.
      for (const [i, code] of codes.entries()) sent.push(await this.send(conn, code, i < codes.length - 1, (o, n) => opts.onOutput?.(i, o, n)));
      let started = Date.now();
      for (const one of sent) {
        const res = await this.settle(kernelId, conn, one, started, opts.timeoutMs, opts.signal);
        yield res;
        if (res.status !== 'ok') return;
        started = Date.now();
      }
    } finally {
      // Cells left unrun are being aborted by the kernel: their replies come at once. Wait for
      // them (briefly) so our next request never lands in the kernel's abort window.
      const rest = sent.filter((x) => !x.settled);
      if (rest.length) await Promise.race([Promise.allSettled(rest.map((x) => x.future.done)), sleep(3000)]);
      for (const x of rest) if (!x.future.isDisposed) x.future.dispose();
      turn.release();
    }
  }

  /** Waits for this backend's earlier requests to the kernel; `release` lets the next one go. */
  private async takeTurn(kernelId: string, timeoutMs: number, signal?: AbortSignal): Promise<{ release: () => void; nothingRun?: ExecuteResult }> {
    const started = Date.now();
    const previous = this.queues.get(kernelId) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = previous.then(() => mine);
    this.queues.set(kernelId, tail);
    const release = () => {
      done();
      if (this.queues.get(kernelId) === tail) this.queues.delete(kernelId);
    };
    const turn = await waitTurn(previous, timeoutMs, signal);
    if (turn === 'ready') return { release };
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    return {
      release,
      nothingRun: {
        status: turn === 'timeout' ? 'timeout' : 'aborted',
        execution_count: null,
        outputs: [],
        message:
          `Nothing was run: kernel ${kernelId} was busy with an earlier request from this server for ${secs} s${turn === 'timeout' ? ' (the whole time-out)' : ''}. ` +
          'Wait for it, call interrupt_kernel, or pass a larger timeout.',
      },
    };
  }

  /** Sends one execute request; its outputs are collected as they arrive. */
  private async send(conn: Connection, code: string, stopOnError: boolean, onOutput?: ExecuteOptions['onOutput']): Promise<Sent> {
    const collector = new OutputCollector();
    let future: Sent['future'];
    try {
      future = conn.requestExecute({ code, silent: false, store_history: true, allow_stdin: false, stop_on_error: stopOnError }, true);
    } catch (e) {
      throw await this.translate(e, 'send the code to the kernel');
    }
    // A disposed future rejects `done`; whoever stops waiting on it has already decided the outcome.
    future.done.catch(() => undefined);
    const sent: Sent = { future, collector, frozen: false, settled: false };
    future.onIOPub = (msg) => {
      if (sent.frozen) return;
      const changed = collector.handle(msg as never);
      if (changed && onOutput) {
        try {
          onOutput(changed, collector.outputs.length);
        } catch {
          // A failing progress callback must not break the execution.
        }
      }
    };
    return sent;
  }

  /** Waits for a sent request to end (reply, time-out, cancellation, death, lost server) and makes its result. */
  private async settle(kernelId: string, conn: Connection, sent: Sent, started: number, timeoutMs: number, signal?: AbortSignal): Promise<ExecuteResult> {
    const { future, collector } = sent;
    const outcome = await this.waitOutcome(kernelId, conn, future, Math.max(0, started + timeoutMs - Date.now()), signal);
    sent.settled = true;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    switch (outcome.kind) {
      case 'done': {
        const content = outcome.reply.content as { status: string; execution_count?: number };
        const count = typeof content.execution_count === 'number' ? content.execution_count : collector.executionCount;
        const status = content.status === 'ok' ? 'ok' : content.status === 'aborted' ? 'aborted' : 'error';
        return {
          status,
          execution_count: count,
          outputs: collector.outputs,
          ...(status === 'aborted' ? { message: 'The kernel did not run this code: it aborted the request (an earlier request in its queue failed).' } : {}),
        };
      }
      case 'timeout':
      case 'abort': {
        // Keep what ran until now; the KeyboardInterrupt traceback the interrupt causes is noise.
        sent.frozen = true;
        const outputs = collector.outputs.map((o) => ({ ...o })) as Output[];
        const stopped = await this.interruptAndSettle(kernelId, future);
        const after = stopped
          ? 'the kernel was interrupted (KeyboardInterrupt); its state up to that point is kept.'
          : 'the kernel did not stop after an interrupt and may still be busy: call interrupt_kernel again or restart_kernel.';
        const message =
          outcome.kind === 'timeout'
            ? `Execution timed out after ${seconds} s: ${after} Outputs produced before the time-out are included. Pass a larger timeout (in seconds) for long-running code.`
            : `Execution cancelled by the client after ${seconds} s: ${after}`;
        return { status: outcome.kind === 'timeout' ? 'timeout' : 'aborted', execution_count: collector.executionCount, outputs, message };
      }
      case 'died': {
        future.dispose();
        const mine = this.restarting.has(kernelId);
        throw new KernelError(
          mine
            ? `Kernel ${kernelId} was restarted while this code ran (after ${seconds} s): the run was lost and all variables are gone. Run the code again.`
            : `Kernel ${kernelId} died while running this code (after ${seconds} s; status "${outcome.status}"): all its variables are lost` +
                `${outcome.status === 'dead' ? '' : ' (the Jupyter server is restarting it)'}. ` +
                'Call restart_kernel with this kernel_id, then re-run the cells that define the state you need. If it dies again, the code may use too much memory or crash the interpreter.',
          'dead',
        );
      }
      case 'lost': {
        future.dispose();
        this.dropConnection(kernelId);
        throw new KernelError(
          `Lost the connection to the Jupyter server at ${this.url} while the code ran (after ${seconds} s): ${outcome.reason}. ` +
            `${collector.outputs.length} output(s) had arrived; the result of the run is unknown. ${START_HINT}, then check the kernel with list_kernels.`,
          'connection',
        );
      }
      case 'failed': {
        future.dispose();
        throw await this.translate(outcome.error, 'run the code');
      }
    }
  }

  /** Waits for the first of: the reply, the time-out, the client's abort, a kernel death, a lost server. */
  private waitOutcome(
    kernelId: string,
    conn: Connection,
    future: JS.Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>,
    ms: number,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        conn.statusChanged.disconnect(onStatus);
        conn.connectionStatusChanged.disconnect(onConnection);
        resolve(o);
      };
      const timer = setTimeout(() => finish({ kind: 'timeout' }), ms);
      const onAbort = () => finish({ kind: 'abort' });
      signal?.addEventListener('abort', onAbort, { once: true });
      const onStatus = (_: unknown, status: string) => {
        if (status === 'dead' || status === 'restarting' || status === 'autorestarting') finish({ kind: 'died', status });
      };
      // A dropped websocket alone is not fatal (the client reconnects and the server replays
      // buffered messages); an unreachable server is, and is reported at once instead of hanging.
      const onConnection = (_: unknown, status: string) => {
        if (status === 'connected') return;
        void this.probe().then((why) => {
          if (why && !settled) finish({ kind: 'lost', reason: why.message.replace(/^Cannot connect to Jupyter server at \S+: /, '').replace(/\. Start one.*$/, '') });
          else if (status === 'disconnected') finish({ kind: 'lost', reason: 'the kernel websocket closed and could not reconnect' });
        });
      };
      conn.statusChanged.connect(onStatus);
      conn.connectionStatusChanged.connect(onConnection);
      future.done.then(
        (reply) => finish({ kind: 'done', reply: reply as KernelMessage.IExecuteReplyMsg }),
        (error) => {
          // Futures are cancelled when the kernel restarts or the connection is disposed: name it.
          if (['dead', 'restarting', 'autorestarting'].includes(conn.status) || this.restarting.has(kernelId)) finish({ kind: 'died', status: conn.status });
          else finish({ kind: 'failed', error });
        },
      );
      if (conn.connectionStatus !== 'connected') onConnection(undefined, conn.connectionStatus);
    });
  }

  /** Interrupts the kernel and waits briefly for the interrupted request to finish (true if it did). */
  private async interruptAndSettle(kernelId: string, future: { done: Promise<unknown>; isDisposed: boolean; dispose(): void }): Promise<boolean> {
    const { KernelAPI } = services();
    try {
      await withTimeout(KernelAPI.interruptKernel(kernelId, this.settings), 5000, () => new Error('interrupt timed out'));
    } catch (e) {
      this.log.warn(`interrupt of ${kernelId} failed: ${redact(e instanceof Error ? e.message : String(e))}`);
    }
    const stopped = await Promise.race([future.done.then(() => true, () => true), sleep(3000).then(() => false)]);
    if (!future.isDisposed) future.dispose();
    return stopped;
  }

  // ---- quiet requests: kernel inspection without trace (quiet.ts) --------------------------------

  private quietTarget(kernelId: string, opts: QuietOptions): quiet.QuietTarget {
    return {
      kernelId,
      connection: () => this.ready(kernelId, Math.max(1000, Math.min(this.connectTimeoutMs, opts.timeoutMs))),
      // Our executions (agents' and the "Jupyter MCP" controller's cells) hold the kernel.
      ownWork: () => (this.queues.has(kernelId) ? 'running a cell sent through Jupyter MCP' : undefined),
      serverState: async () => (await this.model(kernelId)).execution_state,
      interrupt: () => this.interruptKernel(kernelId),
    };
  }

  /** From the kernelspec (REST), so a kernel busy with a long cell still answers at once. */
  async kernelLanguage(kernelId: string): Promise<string> {
    const known = this.languages.get(kernelId);
    if (known) return known;
    const { name } = await this.model(kernelId);
    const language = ((await this.specs()).available.find((s) => s.name === name)?.language || 'unknown').toLowerCase();
    this.languages.set(kernelId, language);
    return language;
  }

  evaluateSilently(kernelId: string, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
    return quiet.evaluateSilently(this.quietTarget(kernelId, opts), expression, opts);
  }

  inspect(kernelId: string, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
    return quiet.inspect(this.quietTarget(kernelId, opts), code, cursorPos, detailLevel, opts);
  }

  complete(kernelId: string, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
    return quiet.complete(this.quietTarget(kernelId, opts), code, cursorPos, opts);
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
