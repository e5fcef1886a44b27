// Starts a private Jupyter server when none is configured: `python3 -m jupyter_server` on a free
// 127.0.0.1 port, a random token (in a 0600 config file, not on the command line where `ps` shows
// it), its own config/runtime/IPython/matplotlib dirs in a temp dir, root_dir = the workspace. The
// server runs in its own process group so stopping it also stops its kernels.
// It is started in that private temp dir, never in the workspace: `python -m` imports from its
// working folder first, so a repository holding jupyter_server/ would otherwise run its own code
// on the first kernel call (list_kernels included). Its environment comes from childEnv().
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { homedir, tmpdir } from 'os';
import { join } from 'path';
import { redact, registerSecret, silentLogger, type Logger } from '../util/log';
import { KernelError } from './backend';
import { childEnv, privateCwd } from './childProcess';

/** Debian's python first: the pyenv `python3` on PATH usually lacks jupyter_server. */
export const DEFAULT_PYTHONS = ['/usr/bin/python3', 'python3'];

export interface LocalJupyterOptions {
  /** The workspace root: notebooks' session paths are relative to it. */
  rootDir: string;
  /** Interpreters to try, in order. */
  pythons?: string[];
  log?: Logger;
  /** Default 30 s (first start can compile .pyc files). */
  startTimeoutMs?: number;
  /** Python appended to the server's jupyter_server_config.py (tests patch the server with it). */
  extraConfigPy?: string;
}

export interface LocalJupyter {
  /** http://127.0.0.1:PORT/ */
  url: string;
  token: string;
  pid: number;
  python: string;
  /** SIGTERM (the server shuts its kernels down), SIGKILL to the group after 5 s; removes the temp dir. */
  stop(): Promise<void>;
}

/** The first interpreter that can import jupyter_server and ipykernel, or undefined. */
export function findJupyterPython(pythons: string[] = DEFAULT_PYTHONS): string | undefined {
  for (const py of pythons) {
    // In a private empty folder: `python -c` imports from its working folder first.
    const r = spawnSync(py, ['-c', 'import jupyter_server, ipykernel'], { stdio: 'ignore', timeout: 20_000, cwd: privateCwd(), env: childEnv() });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** A port that was free a moment ago (the server is started with --port-retries=0 and retried). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts the server and resolves once GET /api/status answers 200 with the token. Throws a
 * KernelError ('not-configured') when no interpreter has jupyter_server, or ('connection') when
 * the server does not come up (with the end of its log, token redacted).
 */
export async function startLocalJupyter(opts: LocalJupyterOptions): Promise<LocalJupyter> {
  const log = opts.log ?? silentLogger;
  const python = findJupyterPython(opts.pythons);
  if (!python) {
    throw new KernelError(
      `jupyter_server is not installed for ${(opts.pythons ?? DEFAULT_PYTHONS).join(' or ')}: install it (apt-get install jupyter-server python3-ipykernel, or pip install jupyter-server ipykernel) or pass --url URL --token TOKEN.`,
      'not-configured',
    );
  }
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(python, opts, log);
    } catch (e) {
      lastError = e as Error;
      // Only a lost port race is worth retrying; anything else will fail the same way.
      if (!/address already in use|port .* in use|Errno 98/i.test(lastError.message)) break;
    }
  }
  throw lastError instanceof KernelError ? lastError : new KernelError(String(lastError?.message), 'connection');
}

async function startOnce(python: string, opts: LocalJupyterOptions, log: Logger): Promise<LocalJupyter> {
  const token = randomBytes(24).toString('hex');
  registerSecret(token);
  const port = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'jupyter-mcp-server-'));
  const dirs = {
    JUPYTER_CONFIG_DIR: join(base, 'config'),
    JUPYTER_DATA_DIR: join(base, 'data'),
    JUPYTER_RUNTIME_DIR: join(base, 'runtime'),
    IPYTHONDIR: join(base, 'ipython'),
    MPLCONFIGDIR: join(base, 'matplotlib'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  const config = {
    ServerApp: {
      token,
      ip: '127.0.0.1',
      port,
      port_retries: 0,
      open_browser: false,
      allow_root: true,
      root_dir: opts.rootDir,
    },
  };
  writeFileSync(join(dirs.JUPYTER_CONFIG_DIR, 'jupyter_server_config.json'), JSON.stringify(config), { mode: 0o600 });
  if (opts.extraConfigPy) writeFileSync(join(dirs.JUPYTER_CONFIG_DIR, 'jupyter_server_config.py'), opts.extraConfigPy, { mode: 0o600 });

  // No secret of ours (the MCP token, the Jupyter token) in the server's environment, which every
  // kernel inherits. Our data dir hides kernelspecs installed with `--user`: search the user's one too.
  const env = childEnv({ ...dirs, JUPYTER_PATH: [join(homedir(), '.local', 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(':') });
  const child = spawn(python, ['-m', 'jupyter_server', '--no-browser'], {
    // The private temp dir, not the workspace (see the top of this file); root_dir is in the config.
    cwd: base,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: stop() can signal the server and every kernel it spawned at once.
    detached: true,
  });
  const logTail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      const safe = redact(line);
      logTail.push(safe);
      if (logTail.length > 20) logTail.shift();
      log.debug(`jupyter_server: ${safe}`);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited: number | string | null | undefined;
  const exitPromise = new Promise<void>((r) => child.once('exit', (code, signal) => ((exited = code ?? signal), r())));

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
    }
  };
  // If our process exits without calling stop(), do not leave an orphan server behind.
  const onExit = () => killGroup('SIGTERM');
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      process.removeListener('exit', onExit);
      if (exited === undefined) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exitPromise;
        clearTimeout(timer);
        // Kernels that outlived the server (they share its group) get no second chance.
        killGroup('SIGKILL');
      }
      rmSync(base, { recursive: true, force: true });
    })());

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    try {
      const res = await fetch(url + 'api/status', { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        // Neither the server nor its pipes keep our process alive: stop() or the exit hook end it.
        child.unref();
        (child.stdout as unknown as { unref?: () => void }).unref?.();
        (child.stderr as unknown as { unref?: () => void }).unref?.();
        log.info(`local Jupyter server started at ${url} (pid ${child.pid}, ${python}, root ${opts.rootDir})`);
        return { url, token, pid: child.pid!, python, stop };
      }
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await stop();
  throw new KernelError(
    `The local Jupyter server (${python} -m jupyter_server) did not start${exited !== undefined ? ` (exit ${exited})` : ' within the time limit'}. ` +
      `Last log lines:\n${logTail.slice(-8).join('\n')}`,
    'connection',
  );
}

