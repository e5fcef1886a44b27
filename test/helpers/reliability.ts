// Helpers for the reliability suite (test/reliability): the real CLI as a child process, raw HTTP,
// file-tree hashes, the nbformat 4.5 JSON schema (Debian's copy) through ajv, a Jupyter server on a
// fixed port (so it can be stopped and started again at the same URL), a seeded random generator
// and a process's resident memory. Everything talks to 127.0.0.1 only.
import { spawn, type ChildProcess } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, lstatSync } from 'fs';
import * as http from 'http';
import { tmpdir } from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { ensureJupyterInstalled, PYTHON } from './jupyter';

export const REPO = path.join(__dirname, '..', '..');
export const BIN = path.join(REPO, 'bin', 'jupyter-mcp.js');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- the CLI as a child process ----------------------------------------------------------------

export interface Cli {
  proc: ChildProcess;
  url: string;
  port: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote to stdout so far (nothing in HTTP mode, unless a Node flag such as --trace-gc prints there). */
  stdout(): string;
  /** SIGTERM and wait; resolves with the exit code (null when killed by a signal) and the time it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Starts `node bin/jupyter-mcp.js ARGS` and resolves once it prints where it listens. */
export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; baseEnv?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], { cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...(opts.baseEnv ?? process.env), ...opts.env } });
    let err = '';
    let started = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exitWaiters: Array<() => void> = [];
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      for (const w of exitWaiters) w();
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    const timer = setTimeout(() => reject(new Error(`CLI did not start: ${err}`)), opts.timeoutMs ?? 20_000);
    const onExitEarly = (code: number | null) => reject(new Error(`CLI exited with ${code}: ${err}`));
    proc.once('exit', onExitEarly);
    proc.stderr!.on('data', (d) => {
      err += d;
      // Only the first "listening on" starts: later stderr lines (log lines come after the answer
      // they belong to, even after a kill) must not touch the exit listeners of a running stop().
      const m = started ? null : /listening on (http:\/\/\S+\/mcp)/.exec(err);
      if (m) {
        started = true;
        clearTimeout(timer);
        proc.off('exit', onExitEarly);
        const url = m[1];
        resolve({
          proc,
          url,
          port: Number(new URL(url).port),
          stderr: () => err,
          stdout: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              const t0 = Date.now();
              const done = () => res({ ...exited!, ms: Date.now() - t0 });
              if (exited) return done();
              exitWaiters.push(done);
              proc.kill(signal);
            }),
        });
      }
    });
  });
}

// ---- raw HTTP ------------------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly the headers given (fetch would not let us forge Host). */
export function raw(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/mcp',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...opts.headers },
        agent: false,
      },
      (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Opens a session with raw requests; returns the session id. */
export async function rawSession(port: number, headers: Record<string, string> = {}): Promise<string> {
  const r = await raw(port, { body: INIT, headers });
  if (r.status !== 200) throw new Error(`initialize: ${r.status} ${r.body}`);
  const sid = r.headers['mcp-session-id'] as string;
  await raw(port, { body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' } });
  return sid;
}

/** The JSON-RPC messages of a response body, whether it came as JSON or as SSE events. */
export function rpcMessages(body: string): any[] {
  const t = body.trim();
  if (!t) return [];
  if (t.startsWith('{') || t.startsWith('[')) {
    const v = JSON.parse(t);
    return Array.isArray(v) ? v : [v];
  }
  return t
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim())
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

// ---- files ----------------------------------------------------------------------------------------

/** sha256 of every file under root (hidden ones too), keyed by relative path; symlinks by target. */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(root, full);
      if (e.isSymbolicLink()) out[rel] = 'symlink';
      else if (e.isDirectory()) {
        out[rel + '/'] = 'dir';
        walk(full);
      } else if (!e.isFile()) out[rel] = 'special'; // a FIFO would block a read
      else out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(root);
  return out;
}

/**
 * tempFiles() once the last write has settled: the replaced file's second name (same pattern) is
 * removed just after each answer, so it may still be there for a few ms after the last call.
 */
export async function settledTempFiles(root: string, withinMs = 2000): Promise<string[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = tempFiles(root);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Files whose name looks like one of the store's temp files (".NAME.ipynb.HEX.tmp"). */
export function tempFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory() && !lstatSync(full).isSymbolicLink()) walk(full);
      else if (/\.tmp$/.test(e.name)) out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out;
}

export function tempDir(prefix: string): { root: string; cleanup(): void } {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

// ---- nbformat 4.5 JSON schema -----------------------------------------------------------------

export const NBFORMAT_SCHEMA_DIR = '/usr/lib/python3/dist-packages/nbformat/v4';

const validators = new Map<number, (nb: unknown) => string | undefined>();
/**
 * Validates against Debian's nbformat.v4.<minor>.schema.json (4.5 by default: the one that
 * requires cell ids); returns undefined, or the first errors as JSON.
 */
export function schemaErrors(nb: unknown, minor = 5): string | undefined {
  let v = validators.get(minor);
  if (!v) {
    const file = path.join(NBFORMAT_SCHEMA_DIR, `nbformat.v4.${minor}.schema.json`);
    if (!existsSync(file)) ensureJupyterInstalled();
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    delete schema.$schema; // draft-04; ajv 8 reads the keywords these schemas use the same way
    const compiled = new Ajv({ strict: false, allErrors: true }).compile(schema);
    v = (x) => (compiled(x) ? undefined : JSON.stringify(compiled.errors?.slice(0, 5)));
    validators.set(minor, v);
  }
  return v(nb);
}

// ---- a Jupyter server on a fixed port ----------------------------------------------------------

export interface FixedJupyter {
  url: string;
  token: string;
  port: number;
  pid: number;
  /** SIGTERM (its kernels stop too), SIGKILL to the group after 5 s. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts Debian's jupyter_server on 127.0.0.1:port with its own dirs under `home` (kept across
 * restarts, so a restart on the same port and token looks to clients like the same server).
 */
export async function startJupyterAt(opts: { port: number; token: string; rootDir: string; home: string }): Promise<FixedJupyter> {
  ensureJupyterInstalled();
  const dirs = {
    JUPYTER_CONFIG_DIR: path.join(opts.home, 'config'),
    JUPYTER_DATA_DIR: path.join(opts.home, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(opts.home, 'runtime'),
    IPYTHONDIR: path.join(opts.home, 'ipython'),
    MPLCONFIGDIR: path.join(opts.home, 'mpl'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...dirs };
  delete env.JUPYTER_TOKEN;
  const child = spawn(
    PYTHON,
    ['-m', 'jupyter_server', '--ip=127.0.0.1', `--port=${opts.port}`, '--port-retries=0', '--no-browser', '--allow-root', `--ServerApp.token=${opts.token}`, `--ServerApp.root_dir=${opts.rootDir}`],
    { cwd: opts.rootDir, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const url = `http://127.0.0.1:${opts.port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`jupyter_server exited: ${log}`);
    try {
      const res = await fetch(url + 'api/status', { headers: { Authorization: `token ${opts.token}` }, signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`jupyter_server did not start: ${log}`);
    await sleep(100);
  }
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // gone
    }
  };
  return {
    url,
    token: opts.token,
    port: opts.port,
    pid: child.pid!,
    stop: async (signal = 'SIGTERM') => {
      if (exited) return;
      group(signal);
      const t = setTimeout(() => group('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
      group('SIGKILL'); // kernels left in the group
    },
  };
}

export function newToken(): string {
  return randomBytes(16).toString('hex');
}

// ---- misc -------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failing property run can be replayed. */
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (a) => a[Math.floor(next() * a.length)] };
}

/** Resident memory of a process in KiB (Linux /proc). */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** PIDs of the processes whose parent is `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function fileSize(p: string): number {
  return statSync(p).size;
}
