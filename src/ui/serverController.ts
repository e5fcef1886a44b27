// Owns the in-process MCP server: start / stop / restart, the access token (SecretStorage), the
// Jupyter connection, and a live view of sessions and kernels for the status bar and commands.
import * as vscode from 'vscode';
import * as path from 'path';
import { promises as fs } from 'fs';
import { createHash, randomBytes } from 'crypto';
import type { Runtime, RuntimeOptions } from '../editor/runtime';
import type { ActiveKernelInfo } from '../kernels/backend';
import type { NotebookChangeSummary } from '../agents/changes';
import type { Logger } from '../util/log';
import { registerSecret } from '../util/log';
import { readSettings, updateSetting, type ExtensionSettings } from './settings';
import { DEFAULT_RESULT_CHARS } from '../server/clientBudgets';
import { refreshRooConfig } from './rooConfig';
import { refreshCursorConfig } from './cursor';
import { TOKEN_ENV } from '../util/clientConfig';

const TOKEN_KEY = 'jupyterMcp.authToken';
const newToken = () => randomBytes(24).toString('base64url');
const jupyterTokenKey = (url: string) => `jupyterMcp.jupyterToken:${new URL(url).origin}`;

type RuntimeModule = { startRuntime(o: RuntimeOptions): Promise<Runtime>; connectBackend(url: string, token: string | undefined, log: Logger): Promise<{ dispose(): Promise<void> }> };

export type ServerState = 'stopped' | 'starting' | 'running' | 'failed';

export interface KernelView {
  kernels: ActiveKernelInfo[];
  error?: string;
}

export class ServerController implements vscode.Disposable {
  private runtime: Runtime | undefined;
  private starting: Promise<Runtime | undefined> | undefined;
  private _state: ServerState = 'stopped';
  private _lastError: string | undefined;
  private _sessions = 0;
  private _kernels: KernelView = { kernels: [] };
  private token: { key: string; value: string } | undefined;
  private _tokenGeneration = 0;
  private readonly emitter = new vscode.EventEmitter<void>();
  private poll: NodeJS.Timeout | undefined;
  private refreshPending: NodeJS.Timeout | undefined;
  private portOverride: number | undefined;
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
    private readonly loadRuntime: () => RuntimeModule,
  ) {}

  get state(): ServerState {
    return this._state;
  }
  get lastError(): string | undefined {
    return this._lastError;
  }
  get url(): string | undefined {
    return this.runtime?.url;
  }
  get port(): number | undefined {
    return this.runtime?.port;
  }
  get version(): string | undefined {
    return this.runtime?.version;
  }
  get sessions(): number {
    return this._sessions;
  }
  get kernelView(): KernelView {
    return this._kernels;
  }
  get jupyterUrl(): string | undefined {
    return this.runtime?.jupyterUrl ?? (readSettings().jupyterServerUrl || undefined);
  }
  get current(): Runtime | undefined {
    return this.runtime;
  }

  /** Per notebook, the cells each agent changed and the person has not accepted yet. */
  get agentChanges(): NotebookChangeSummary[] {
    return this.runtime?.agents.summary() ?? [];
  }

  /** Changes each time the token is rotated (the MCP definition provider follows it). */
  get tokenGeneration(): number {
    return this._tokenGeneration;
  }

  /**
   * Where this workspace's token is kept in SecretStorage (which VS Code shares between all
   * windows): one key per workspace, so a token copied out of one project does not open the
   * server of another. Named by a hash of the workspace's URI.
   */
  get tokenStorageKey(): string {
    const ws = vscode.workspace.workspaceFile ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    return `${TOKEN_KEY}:${createHash('sha256').update(ws ? ws.toString() : 'no-workspace').digest('hex').slice(0, 16)}`;
  }

  /** The bearer token clients must send; created once per workspace and kept in SecretStorage. */
  async authToken(): Promise<string> {
    const key = this.tokenStorageKey;
    if (this.token?.key === key) return this.token.value;
    let t = await this.context.secrets.get(key);
    if (!t) {
      t = newToken();
      await this.context.secrets.store(key, t);
    }
    registerSecret(t);
    this.token = { key, value: t };
    return t;
  }

  /**
   * Replaces this workspace's token. A running server is restarted with the new one (on the same
   * port), so the old token stops working at once and every session ends; Copilot gets the new
   * definition and Roo Code's entry in .roo/mcp.json is refreshed. Clients configured by hand
   * need the new token (Copy Client Configuration…).
   */
  async rotateToken(): Promise<void> {
    const key = this.tokenStorageKey;
    const t = newToken();
    registerSecret(t);
    await this.context.secrets.store(key, t);
    this.token = { key, value: t };
    this._tokenGeneration++;
    this.log.info('access token rotated: clients configured with the old one are refused from now on');
    if (this.runtime || this.starting) {
      // Not restart(): that would go back from a free port to the configured (maybe squatted) one.
      await this.stop();
      await this.start();
    } else this.emitter.fire();
  }

  private set(state: ServerState, error?: string): void {
    this._state = state;
    this._lastError = error;
    this.emitter.fire();
  }

  /** Starts the server if it is not running; resolves with the runtime (undefined on failure). */
  start(): Promise<Runtime | undefined> {
    if (this.runtime) return Promise.resolve(this.runtime);
    if (!this.starting) this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<Runtime | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') {
      this.set('failed', 'Open a folder first: notebook paths are relative to the workspace folder.');
      return undefined;
    }
    this.set('starting');
    const s = readSettings();
    const port = this.portOverride ?? s.port;
    const started = performance.now();
    try {
      const token = await this.authToken();
      const jupyter = s.jupyterServerUrl ? { url: s.jupyterServerUrl, token: await this.context.secrets.get(jupyterTokenKey(s.jupyterServerUrl)) } : undefined;
      const mod = this.loadRuntime();
      this.runtime = await mod.startRuntime({
        root: folder.uri.fsPath,
        port,
        authToken: token,
        jupyter,
        limits: { maxOutputChars: s.maxOutputChars, maxImageBytes: s.maxImageKb * 1024, ...resultBudget(s), resultShape: s.resultShape },
        timeoutMs: s.executionTimeout * 1000,
        maxWaitMs: s.maxWait * 1000,
        log: this.log,
        saveAfterEdit: () => readSettings().saveAfterEdit,
        mayRunCode: () =>
          vscode.workspace.isTrusted
            ? undefined
            : 'This VS Code workspace is not trusted, so Jupyter MCP will not run code or manage kernels in it. Trust the folder (command "Workspaces: Manage Workspace Trust") and call the tool again.',
        onSessionsChanged: (n) => {
          this._sessions = n;
          this.emitter.fire();
        },
        // The server logs each call (tool, target, duration) itself; here only views follow.
        onToolCall: (name) => {
          if (/kernel|execute/.test(name)) this.scheduleKernelRefresh();
        },
        // Outside the workspace, kept across window reloads (per workspace when there is one).
        checkpointDir: path.join((this.context.storageUri ?? this.context.globalStorageUri).fsPath, 'checkpoints'),
        provenanceInMetadata: () => readSettings().agentProvenanceInMetadata,
      });
      // The status bar and the notebook toolbar follow the agents' changes.
      this.runtime.agents.onDidChange(() => this.emitter.fire());
      this.runtime.kernels.onDidChange(() => this.scheduleKernelRefresh());
      this.log.info(`MCP server listening on ${this.runtime.url} (${(performance.now() - started).toFixed(0)} ms)`);
      // Roo's and Cursor's entries first, then the variable their token reference expands to: they
      // never pair the token with a URL this server does not listen on.
      await refreshRooConfig(this.runtime.url, s.maxWait).catch((e) => this.log.warn(`.roo/mcp.json not refreshed: ${(e as Error).message}`));
      await refreshCursorConfig(this.runtime.url).catch((e) => this.log.warn(`.cursor/mcp.json not refreshed: ${(e as Error).message}`));
      process.env[TOKEN_ENV] = token;
      await this.publishPort();
      this.set('running');
      this.poll = setInterval(() => void this.refreshKernels(), 5000);
      void this.refreshKernels();
      return this.runtime;
    } catch (e) {
      const message = (e as Error).message;
      delete process.env[TOKEN_ENV];
      this.log.error(`MCP server failed to start: ${message}`);
      this.set('failed', message);
      if ((e as { code?: string }).code === 'EADDRINUSE') void this.offerOtherPort(port);
      else void vscode.window.showErrorMessage(`Jupyter MCP: ${message}`, 'Show Log').then((a) => a && vscode.commands.executeCommand('jupyterMcp.showLog'));
      return undefined;
    }
  }

  private async offerOtherPort(port: number): Promise<void> {
    const pick = await vscode.window.showWarningMessage(
      `Jupyter MCP: port ${port} is already in use (another Jupyter MCP window or program). MCP clients configured for port ${port} will not reach this window.`,
      'Use a Free Port',
      'Change Port Setting',
    );
    if (pick === 'Use a Free Port') await this.useFreePort();
    else if (pick === 'Change Port Setting') await vscode.commands.executeCommand('workbench.action.openSettings', 'jupyterMcp.port');
  }

  /**
   * Moves the server to a free port because the configured one is held by another program. The
   * token is rotated first: clients still configured for the old port would hand that program
   * the token, which must then open nothing. Copilot and Roo Code (.roo/mcp.json) follow the
   * new port and token by themselves.
   */
  async useFreePort(): Promise<Runtime | undefined> {
    this.portOverride = 0;
    await this.rotateToken();
    return this.start();
  }

  /** For tests and tools outside the editor: env JUPYTER_MCP_PORT_FILE names a file to write. */
  private async publishPort(): Promise<void> {
    const file = process.env.JUPYTER_MCP_PORT_FILE;
    if (!file || !this.runtime) return;
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify({ port: this.runtime.port, url: this.runtime.url, token: this.token?.value }), { mode: 0o600 });
  }

  async stop(): Promise<void> {
    await this.starting;
    const rt = this.runtime;
    this.runtime = undefined;
    // Nothing in this window may hand out the token while no server of ours listens.
    delete process.env[TOKEN_ENV];
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    this._sessions = 0;
    this._kernels = { kernels: [] };
    if (rt) {
      await rt.stop();
      this.log.info('MCP server stopped');
    }
    this.set('stopped');
  }

  async restart(): Promise<Runtime | undefined> {
    await this.stop();
    this.portOverride = undefined;
    return this.start();
  }

  /**
   * Settings every call reads (sizes, time-out, waits, result shape) apply to a running server at
   * once: no restart, so sessions and the kernels agents started stay. Before it runs they are
   * read at start.
   */
  async applySettings(): Promise<void> {
    if (this._state === 'starting') return this.reloadSettings();
    const rt = this.runtime;
    if (!rt) return;
    const s = readSettings();
    rt.applySettings(
      { maxOutputChars: s.maxOutputChars, maxImageBytes: s.maxImageKb * 1024, ...resultBudget(s), resultShape: s.resultShape },
      { timeoutMs: s.executionTimeout * 1000, maxWaitMs: s.maxWait * 1000 },
    );
    this.log.info('settings applied to the running server');
    // Roo's per-server timeout follows the longest wait.
    await refreshRooConfig(rt.url, s.maxWait).catch((e) => this.log.warn(`.roo/mcp.json not refreshed: ${(e as Error).message}`));
  }

  private reloading: Promise<void> | undefined;
  private reloadAgain = false;

  /**
   * Restarts a running (or starting) server so it reads changed settings. A change that arrives
   * during that restart (two settings updated one after the other) restarts it once more after,
   * instead of being lost because the server was not "running" at that instant.
   */
  reloadSettings(): void {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    if (this._state !== 'running' && this._state !== 'starting') return;
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.restart();
      } while (this.reloadAgain);
    })()
      .catch((e) => this.log.warn(`restart after a settings change failed: ${(e as Error).message}`))
      .finally(() => (this.reloading = undefined));
  }

  /** Checks a Jupyter server (URL + token) and, if it answers, saves and uses it. */
  async connectJupyter(url: string, token: string | undefined): Promise<void> {
    registerSecret(token);
    const rt = await this.start();
    if (rt) await rt.connectJupyter(url, token);
    else {
      // Server not running: still check before saving.
      const probe = await this.loadRuntime().connectBackend(url, token, this.log);
      await probe.dispose();
    }
    if (token) await this.context.secrets.store(jupyterTokenKey(url), token);
    await updateSetting('jupyterServerUrl', url);
    this.log.info(`connected to Jupyter server ${new URL(url).origin}`);
    this.scheduleKernelRefresh();
  }

  async disconnectJupyter(): Promise<void> {
    const url = readSettings().jupyterServerUrl;
    if (url) await this.context.secrets.delete(jupyterTokenKey(url));
    await updateSetting('jupyterServerUrl', '');
    await this.runtime?.disconnectJupyter();
    this.scheduleKernelRefresh();
  }

  scheduleKernelRefresh(): void {
    if (this.refreshPending) return;
    this.refreshPending = setTimeout(() => {
      this.refreshPending = undefined;
      void this.refreshKernels();
    }, 150);
  }

  async refreshKernels(): Promise<KernelView> {
    const rt = this.runtime;
    if (!rt) return this._kernels;
    let next: KernelView;
    try {
      next = { kernels: (await rt.kernels.listKernels({ quiet: true })).active };
    } catch (e) {
      next = { kernels: [], error: (e as Error).message };
    }
    const changed = JSON.stringify(next) !== JSON.stringify(this._kernels);
    this._kernels = next;
    if (changed) this.emitter.fire();
    return next;
  }

  dispose(): void {
    if (this.poll) clearInterval(this.poll);
    if (this.refreshPending) clearTimeout(this.refreshPending);
    void this.stop();
    this.emitter.dispose();
  }
}

/** The result budget for the server: the person's value for every client, else per client (40,000 for clients outside the table). */
function resultBudget(s: ExtensionSettings): { maxResultChars: number; maxResultCharsSet: boolean } {
  return { maxResultChars: s.maxResultChars ?? DEFAULT_RESULT_CHARS, maxResultCharsSet: s.maxResultChars !== undefined };
}
