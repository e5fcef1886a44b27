// Runs the extension inside a REAL VS Code extension host, headless: code-server (the VS Code server
// and web workbench, from npm) plus Debian's chromium driven by playwright-core. `@vscode/test-electron`
// cannot download VS Code on these machines; `scripts/install-vscode-host.js` installs all of this
// once per user (~/.cache/jupyter-mcp/vscode-host/<versions>, linked from `.vscode-host/`).
//
// Two modes:
//   runHostTests(...)  opens the workbench with `extensionTestsPath`; resolves with the exit code the
//                      test module reports through `codeAutomationExit`, and the host's console output.
//   startHost(...)     opens the workbench with the extension under development and keeps it open
//                      (the page is VS Code's main thread) so node tests can drive the extension over
//                      HTTP; `stop()` ends it. With `extensionPath: null` and an `extensionsDir`
//                      prepared by installVsix(...) it runs a packaged .vsix, installed as users do.
// Whatever happens, every process started here is ended: code-server and chromium each run in their
// own process group, and every process carries a tag in its environment that a final sweep looks for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
// A CommonJS script shared with `npm test`; required at run time, typed here.
const installer = require(path.join(ROOT, 'scripts', 'install-vscode-host.js')) as {
  paths(): { hostDir: string; node: string; codeServerEntry: string; playwrightCore: string; chromium: string };
  isInstalled(): boolean;
  install(opts?: { force?: boolean }): unknown;
};

export interface HostOptions {
  /**
   * Folder of the extension under development (its package.json). Default: the repository.
   * `null`: no extension under development (e.g. only what `installVsix` put in `extensionsDir`).
   */
  extensionPath?: string | null;
  /**
   * code-server's extensions folder, used as it is (e.g. prepared with `installVsix`). Default: a
   * fresh empty folder in the host's temporary folder. `extraExtensionPaths` are copied into it.
   */
  extensionsDir?: string;
  /** Folder opened as the workspace. Default: a fresh empty temporary folder. */
  workspace?: string;
  /** Extra environment for code-server; it reaches the extension host (e.g. JUPYTER_MCP_PORT_FILE). */
  env?: Record<string, string>;
  /** Give up after this long (default 150 s for tests, 90 s for startHost to reach the workbench). */
  timeoutMs?: number;
  /** Called with each line of extension-host console output as it arrives. */
  onOutput?: (line: string) => void;
  /** Keep the temporary folder (settings, logs, profiles) for a post-mortem. */
  keepTemp?: boolean;
  /** More extension folders loaded next to the one under development (e.g. test stand-ins). */
  extraExtensionPaths?: string[];
  /** Size of the browser window (default 1400×900). */
  viewport?: { width: number; height: number };
  /** User settings merged over the quiet defaults (e.g. turning VS Code's chat and MCP back on). */
  userSettings?: Record<string, unknown>;
  /** More files of the user profile (`<user-data>/User/<name>`), e.g. chatLanguageModels.json. */
  userFiles?: Record<string, string>;
}

export interface RunTestsOptions extends HostOptions {
  /** Compiled test module whose `run()` the extension host calls. */
  testsPath: string;
  /**
   * Give up when the host has printed nothing for this long (default: no such limit). On a loaded
   * machine a whole run may take several times its usual length; what signals a hang is silence,
   * not total time (each in-host test has its own mocha time-out and reports when it hits it).
   */
  idleTimeoutMs?: number;
}

export interface HostTestResult {
  /** What the test module passed to `codeAutomationExit` (0 = all passed); 1 on time-out. */
  exitCode: number;
  /** Extension-host console output (the mocha report), one entry per console call. */
  output: string[];
  /** Everything else seen: workbench console, code-server output, page errors. */
  log: string[];
  timedOut: boolean;
  durationMs: number;
  /** Processes started for this run still alive after the clean-up (should always be empty). */
  leftoverPids: number[];
}

export interface RunningHost {
  /** The workbench page's URL. Opening it again starts a second extension host. */
  url: string;
  /** code-server's port (not the extension's: that one the extension publishes itself). */
  port: number;
  /** Set as JUPYTER_MCP_HOST_TAG in the environment of every process of this host. */
  tag: string;
  /** The workbench page (a playwright-core Page); close it and the extension host stops. */
  page: PwPage;
  output: string[];
  log: string[];
  /** Resolves with the first line of output or log matching `pattern` (seen before or after). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Ends code-server, chromium and everything they started; resolves with any survivors' PIDs. */
  stop(): Promise<number[]>;
}

// The few playwright-core types we use. playwright-core lives in `.vscode-host/`, not in the
// project's node_modules, so we load it at run time and describe it here.
interface PwConsoleMessage {
  type(): string;
  text(): string;
  args(): { jsonValue(): Promise<unknown> }[];
}
export interface PwPage {
  goto(url: string, opts?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
  on(event: 'console', cb: (m: PwConsoleMessage) => void): void;
  on(event: 'pageerror', cb: (e: Error) => void): void;
  exposeFunction(name: string, fn: (...args: unknown[]) => unknown): Promise<void>;
  screenshot(opts: { path: string; fullPage?: boolean }): Promise<Buffer>;
  keyboard: { press(key: string): Promise<void>; type(text: string, opts?: { delay?: number }): Promise<void> };
  waitForSelector(selector: string, opts?: { timeout?: number }): Promise<unknown>;
  waitForTimeout(ms: number): Promise<void>;
  frames(): { evaluate<T>(expression: string): Promise<T> }[];
  mouse: { move(x: number, y: number, opts?: { steps?: number }): Promise<void>; wheel(dx: number, dy: number): Promise<void>; down(): Promise<void>; up(): Promise<void> };
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  locator(selector: string, opts?: { hasText?: string | RegExp }): PwLocator;
}
export interface PwLocator {
  click(opts?: { timeout?: number }): Promise<void>;
  waitFor(opts?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  first(): PwLocator;
  count(): Promise<number>;
  textContent(opts?: { timeout?: number }): Promise<string | null>;
  inputValue(opts?: { timeout?: number }): Promise<string>;
  fill(value: string, opts?: { timeout?: number }): Promise<void>;
}
interface PwContext {
  pages(): PwPage[];
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}
interface PwChromium {
  launchPersistentContext(dir: string, opts: Record<string, unknown>): Promise<PwContext>;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Keeps code-server from reaching out or nagging: updates, telemetry, git, AI features, welcome.
const USER_SETTINGS = {
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'telemetry.feedback.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'github.gitAuthentication': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'security.workspace.trust.enabled': false,
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'typescript.tsserver.experimental.enableProjectDiagnostics': false,
  'files.watcherExclude': { '**': true },
  'search.followSymlinks': false,
  // Port-forwarding toasts cover the UI on a busy machine (seen with the real Jupyter extension).
  'remote.autoForwardPorts': false,
};

/** Throws with the fix when the host is not installed. */
export function hostPaths(): ReturnType<typeof installer.paths> {
  const p = installer.paths();
  if (!installer.isInstalled()) {
    throw new Error('The VS Code host is not installed: run `node scripts/install-vscode-host.js`.');
  }
  return p;
}

export function installHost(): void {
  installer.install();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves with the file's trimmed content once it exists and is not empty. */
export async function waitForFile(file: string, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = fs.readFileSync(file, 'utf8').trim();
      if (text) return text;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Resolves with `fn`'s first truthy answer, asked every `everyMs` (250 ms). The time-out (a number,
 * or `timeoutMs`: 120 s) only guards against a hang: a loaded machine makes the host slow. With
 * `transientErrors`, an answer that throws counts as "not yet" (a page frame navigating away).
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: number | { timeoutMs?: number; everyMs?: number; transientErrors?: boolean } = {},
): Promise<T> {
  const { timeoutMs = 120_000, everyMs = 250, transientErrors = false } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = transientErrors ? await Promise.resolve().then(fn).catch(() => undefined) : await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function remoteUri(port: number, file: string): string {
  return `vscode-remote://127.0.0.1:${port}${path.resolve(file)}`;
}

/**
 * Renders a console call as the devtools would, dropping `%c` styling and its CSS arguments. The
 * workbench's log service calls `console.log('%c INFO', css, message, ...args)`: that prefix is
 * dropped and `message` is formatted with the remaining arguments.
 */
export function formatConsoleArgs(values: unknown[]): string {
  const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const rest = [...values];
  if (rest.length === 0) return '';
  if (typeof rest[0] !== 'string') return rest.map(str).join(' ');
  const text = (rest.shift() as string).replace(/%([csdifoO%])/g, (m, k: string) => {
    if (k === '%') return '%';
    if (rest.length === 0) return m;
    const v = rest.shift();
    if (k === 'c') return '';
    if (k === 'd' || k === 'i') return String(Math.trunc(Number(v)));
    if (k === 'f') return String(Number(v));
    return str(v);
  });
  const level = /^\s*(TRACE|DEBUG|INFO|WARN|ERROR)\s*$/.exec(text);
  if (level && typeof rest[0] === 'string') return formatConsoleArgs(rest);
  return [text, ...rest.map(str)].join(' ');
}

// VS Code forwards extension-host console calls to the page prefixed with `[Extension Host]`. While
// running tests it logs them unprefixed through its log service, so test/host/suite/index.ts adds
// the same prefix itself.
const EXT_HOST_PREFIX = /^\s*\[Extension Host\]\s?/;

// Hosts not yet stopped. If this process ends without stopping them (Ctrl+C, an uncaught error, a
// runner that exits), kill their processes on the way out: they live in process groups of their own
// and would otherwise outlive us.
const liveHosts = new Set<Host>();
let exitHooked = false;
function hookProcessExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = (): void => liveHosts.forEach((h) => h.killNow());
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal); // then die of it as we would have
    });
  }
}

class Host {
  readonly tag = `jupyter-mcp-host-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly output: string[] = [];
  readonly log: string[] = [];
  port = 0;
  url = '';
  page?: PwPage;
  private tmp = '';
  private server?: ChildProcess;
  private context?: PwContext;
  private stopped = false;

  constructor(private readonly opts: HostOptions) {}

  async start(extraPayload: [string, string][], beforeGoto?: (page: PwPage) => Promise<void>): Promise<PwPage> {
    const paths = hostPaths();
    liveHosts.add(this);
    hookProcessExit();
    const extensionPath = this.opts.extensionPath === null ? undefined : path.resolve(this.opts.extensionPath ?? ROOT);
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-mcp-host-'));
    const dir = (name: string): string => {
      const d = path.join(this.tmp, name);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    const workspace = path.resolve(this.opts.workspace ?? dir('workspace'));
    const userData = dir('user-data');
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...this.opts.userSettings }, null, 2));
    for (const [name, text] of Object.entries(this.opts.userFiles ?? {})) fs.writeFileSync(path.join(userData, 'User', name), text);
    // Extra extensions (test stand-ins) are installed by copying them into the extensions folder:
    // the workbench keeps only one extensionDevelopmentPath (its payload is read into a Map).
    const extensionsDir = this.opts.extensionsDir ? path.resolve(this.opts.extensionsDir) : dir('extensions');
    fs.mkdirSync(extensionsDir, { recursive: true });
    for (const extra of this.opts.extraExtensionPaths ?? []) {
      const manifest = JSON.parse(fs.readFileSync(path.join(extra, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
      fs.cpSync(extra, path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`), { recursive: true });
    }
    const config = path.join(this.tmp, 'config.yaml');
    fs.writeFileSync(config, 'auth: none\ncert: false\n');

    this.port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.opts.env,
      // An empty gallery: no marketplace look-ups.
      EXTENSIONS_GALLERY: '{}',
      XDG_CONFIG_HOME: dir('xdg-config'),
      XDG_DATA_HOME: dir('xdg-data'),
      TMPDIR: dir('tmp'),
      JUPYTER_MCP_HOST_TAG: this.tag,
      // Our test runner's variables would confuse node:test-aware code in the extension host.
      NODE_TEST_CONTEXT: undefined,
      NODE_OPTIONS: undefined,
      ELECTRON_RUN_AS_NODE: undefined,
      VSCODE_IPC_HOOK_CLI: undefined,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];

    const args = [
      paths.codeServerEntry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--extensions-dir', extensionsDir,
      '--user-data-dir', userData,
      '--config', config,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      // Without it code-server 4.139 ignores the `payload` URL parameter (extensionTestsPath …).
      '--vscode-option', 'enable-smoke-test-driver',
      workspace,
    ];
    this.server = spawn(paths.node, args, { env, cwd: this.tmp, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const serverExit = new Promise<never>((_, reject) => {
      this.server!.on('exit', (code, signal) => {
        if (!this.stopped) reject(new Error(`code-server exited early (${signal ?? code}):\n${this.log.slice(-20).join('\n')}`));
      });
      this.server!.on('error', reject);
    });
    serverExit.catch(() => undefined);
    for (const stream of [this.server.stdout!, this.server.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) this.log.push(`[code-server] ${line}`);
      });
    }

    await Promise.race([this.waitHealthy(), serverExit]);

    const require_ = createRequire(path.join(paths.hostDir, 'package.json'));
    const { chromium } = require_('playwright-core') as { chromium: PwChromium };
    this.context = await chromium.launchPersistentContext(dir('chromium-profile'), {
      executablePath: paths.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...env, TMPDIR: env.TMPDIR },
      viewport: this.opts.viewport ?? { width: 1400, height: 900 },
      // The Jupyter extension's "Existing Jupyter Server..." reads the clipboard first; headless
      // chromium refuses by default and the URL box never opens.
      permissions: ['clipboard-read', 'clipboard-write'],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    if (this.stopped) {
      // stop() ran (a time-out) while chromium was starting.
      await this.context.close().catch(() => undefined);
      throw new Error('the host was stopped while starting');
    }
    const page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page = page;
    page.on('console', (msg) => void this.onConsole(msg));
    page.on('pageerror', (e) => this.log.push(`[pageerror] ${e.message}`));
    await beforeGoto?.(page);

    const payload: [string, string][] = [
      ...(extensionPath ? [['extensionDevelopmentPath', remoteUri(this.port, extensionPath)] as [string, string]] : []),
      ...extraPayload.map(([k, v]): [string, string] => [k, k.endsWith('Path') ? remoteUri(this.port, v) : v]),
      ['skipWelcome', 'true'],
    ];
    this.url = `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return page.goto(this.url, {
      waitUntil: 'domcontentloaded',
      timeout: 60_000,
    }).then(() => page);
  }

  private async waitHealthy(): Promise<void> {
    const end = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > end) throw new Error(`code-server did not answer /healthz within 30 s:\n${this.log.slice(-20).join('\n')}`);
      await sleep(100);
    }
  }

  private async onConsole(msg: PwConsoleMessage): Promise<void> {
    let text: string;
    try {
      text = formatConsoleArgs(await Promise.all(msg.args().map((a) => a.jsonValue())));
    } catch {
      text = '';
    }
    // Error objects do not survive jsonValue(): fall back to the devtools' own rendering.
    if (!text.trim()) text = msg.text().replace(/%c/g, '');
    text = text.replace(/\x1b\[[0-9;]*m/g, ''); // mocha colours its report when it thinks it is in CI
    if (EXT_HOST_PREFIX.test(text)) {
      const line = text.replace(EXT_HOST_PREFIX, '');
      this.output.push(line);
      this.opts.onOutput?.(line);
    } else {
      this.log.push(`[workbench ${msg.type()}] ${text}`);
    }
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = [...this.output, ...this.log].find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > end) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Synchronous last resort (process exit): SIGKILL everything of this host. */
  killNow(): void {
    if (this.server?.pid) killGroup(this.server.pid, 'SIGKILL');
    for (const pid of taggedPids(this.tag)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (this.tmp && !this.opts.keepTemp) fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  async stop(): Promise<number[]> {
    if (this.stopped) return taggedPids(this.tag);
    this.stopped = true;
    liveHosts.delete(this);
    if (this.context) {
      await Promise.race([this.context.close().catch(() => undefined), sleep(5_000)]);
    }
    const server = this.server;
    if (server?.pid && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise<void>((r) => server.once('exit', () => r()));
      killGroup(server.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      killGroup(server.pid, 'SIGKILL');
    }
    // Anything that left its process group (or a browser the context could not close) still has
    // our tag in its environment.
    await sweep(this.tag);
    if (this.tmp && !this.opts.keepTemp) fs.rmSync(this.tmp, { recursive: true, force: true, maxRetries: 3 });
    return taggedPids(this.tag);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** PIDs of the live processes started for the host with this tag. */
export function taggedPids(tag: string): number[] {
  const pids: number[] = [];
  const needle = `JUPYTER_MCP_HOST_TAG=${tag}\0`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

async function sweep(tag: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = taggedPids(tag);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        /* gone */
      }
    }
    await sleep(signal === 'SIGTERM' ? 1_000 : 200);
  }
}

export interface VsixInstallResult {
  /** code-server's exit code (0 = installed). */
  status: number | null;
  /** What code-server printed (stdout + stderr), e.g. "Extension '…' was successfully installed." */
  output: string;
  durationMs: number;
}

/**
 * Installs a packaged `.vsix` into `extensionsDir` the way a user would: code-server's
 * `--install-extension` (a folder cannot be installed that way, a .vsix can), run with the host's
 * Node 24, no marketplace and throw-away user-data/XDG folders. Pass the same `extensionsDir` to
 * `startHost` (with `extensionPath: null` to load only installed extensions).
 */
export function installVsix(vsix: string, extensionsDir: string, opts: { timeoutMs?: number } = {}): VsixInstallResult {
  const paths = hostPaths();
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-mcp-vsix-install-'));
  try {
    fs.mkdirSync(extensionsDir, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      EXTENSIONS_GALLERY: '{}',
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      TMPDIR: tmp,
      NODE_TEST_CONTEXT: undefined,
      NODE_OPTIONS: undefined,
      VSCODE_IPC_HOOK_CLI: undefined,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const config = path.join(tmp, 'config.yaml');
    fs.writeFileSync(config, 'auth: none\ncert: false\n');
    const r = spawnSync(
      paths.node,
      [
        paths.codeServerEntry,
        '--config', config,
        '--user-data-dir', path.join(tmp, 'user-data'),
        '--extensions-dir', path.resolve(extensionsDir),
        '--disable-telemetry',
        '--install-extension', path.resolve(vsix),
      ],
      { env, cwd: tmp, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, killSignal: 'SIGKILL' },
    );
    return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`, durationMs: Date.now() - started };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs the compiled test module `testsPath` inside a real extension host with the extension at
 * `extensionPath` under development. Never rejects for a failing or hanging test run: the result
 * says what happened. Rejects only when the host cannot be started.
 */
export async function runHostTests(opts: RunTestsOptions): Promise<HostTestResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 150_000;
  let lastOutput = Date.now();
  const host = new Host({
    ...opts,
    onOutput: (line) => {
      lastOutput = Date.now();
      opts.onOutput?.(line);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let reason = '';
  try {
    let reportExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (reportExit = r));
    const timedOut = new Promise<'timeout'>((r) => {
      const check = (): void => {
        const now = Date.now();
        if (now - started >= timeoutMs) reason = `no result after ${timeoutMs} ms`;
        else if (opts.idleTimeoutMs && now - lastOutput >= opts.idleTimeoutMs) reason = `the host printed nothing for ${opts.idleTimeoutMs} ms`;
        if (reason) r('timeout');
        else timer = setTimeout(check, 1_000);
      };
      timer = setTimeout(check, 1_000);
    });
    // The workbench calls window.codeAutomationExit(code, logs) once the test module's run() settles.
    const bindExit = (page: PwPage): Promise<void> =>
      page.exposeFunction('codeAutomationExit', (code: unknown) => {
        reportExit(typeof code === 'number' ? code : Number(code) || 0);
      });
    const page = await Promise.race([
      host.start([['extensionTestsPath', path.resolve(opts.testsPath)]], bindExit),
      timedOut,
    ]);
    if (page === 'timeout') throw new Error(`the VS Code host did not start: ${reason}`);
    const result = await Promise.race([exited, timedOut]);
    const isTimeout = result === 'timeout';
    if (isTimeout) host.log.push(`[harness] gave up: ${reason}`);
    const leftoverPids = await host.stop();
    return {
      exitCode: isTimeout ? 1 : result,
      output: host.output,
      log: host.log,
      timedOut: isTimeout,
      durationMs: Date.now() - started,
      leftoverPids,
    };
  } finally {
    if (timer) clearTimeout(timer);
    await host.stop();
  }
}

/**
 * Starts code-server with the extension under development and keeps the workbench open, so that
 * node tests can talk to the extension (e.g. over the MCP port it publishes to
 * JUPYTER_MCP_PORT_FILE). Always call `stop()`.
 */
export async function startHost(opts: HostOptions = {}): Promise<RunningHost> {
  const host = new Host(opts);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeoutMs = opts.timeoutMs ?? 90_000;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the VS Code host did not start within ${timeoutMs} ms`)), timeoutMs);
    });
    const page = await Promise.race([host.start([]), timedOut]);
    return {
      url: host.url,
      port: host.port,
      tag: host.tag,
      page,
      output: host.output,
      log: host.log,
      waitFor: (pattern, ms) => host.waitFor(pattern, ms),
      stop: () => host.stop(),
    };
  } catch (e) {
    await host.stop();
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Why the host cannot be installed here (a reason to skip host tests), or undefined when it can. */
export function hostUnavailable(): string | undefined {
  if (process.env.JUPYTER_MCP_SKIP_HOST_TESTS === '1') return 'JUPYTER_MCP_SKIP_HOST_TESTS=1';
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `the host recipe is for linux-x64 (Debian), this is ${process.platform}-${process.arch}`;
  }
  if (!fs.existsSync('/usr/bin/chromium')) {
    if (!fs.existsSync('/usr/bin/apt-get')) return 'no /usr/bin/chromium and no apt-get to install it';
    const root = process.getuid?.() === 0;
    const sudo = spawnSync('sudo', ['-n', 'true']).status === 0;
    if (!root && !sudo) return 'no /usr/bin/chromium, and installing it needs root (or passwordless sudo)';
  }
  return undefined;
}
