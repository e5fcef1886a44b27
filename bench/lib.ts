// Shared bench plumbing: statistics, the product's standalone server in a child process (so its
// memory is measured alone), peak-RSS tracking through /proc, MCP clients, result rows.
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient } from '../test/helpers/mcp';

export const ROOT = path.resolve(__dirname, '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export interface Row {
  scenario: string;
  case: string;
  n?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
  /** Unit of the figures (default ms). */
  unit?: string;
  /** A single figure (sizes, throughput) instead of a distribution. */
  value?: number;
  /** Peak memory of the measured process above its idle baseline (MB), when measured. */
  memMB?: number;
  /** What a user would use instead, and its figure (same unit). */
  peer?: string;
  peerValue?: number;
  /** ours / peer at the median (or value / peerValue). */
  ratio?: number;
  target?: string;
  /** true / false when a target applies; undefined otherwise. */
  pass?: boolean;
  note?: string;
}

export function row(scenario: string, name: string, xs: number[], extra: Partial<Row> = {}): Row {
  const s = stats(xs);
  const r: Row = { scenario, case: name, n: s.n, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max, ...extra };
  if (r.peerValue !== undefined && r.ratio === undefined) r.ratio = s.p50 / r.peerValue;
  return r;
}

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// ---- the product's server in a child process -------------------------------------------------------

export interface ServerProc {
  url: string;
  pid: number;
  /** "tool NAME ... ok X ms" lines the server logged: its own view of each call. */
  toolMs: Array<{ tool: string; ms: number }>;
  /** Resident set size now (MB). */
  rssMB(): number;
  /** Peak RSS since the last resetPeak() (MB); the kernel's VmHWM. */
  peakMB(): number;
  /** Exit code / signal once the process has exited, and its last log lines (for failures). */
  exited(): string | undefined;
  logTail(): string;
  /** Resets the peak to the current RSS (Linux clear_refs 5); false if not allowed. */
  resetPeak(): boolean;
  stop(): Promise<void>;
}

function procStatus(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts `node dist/cli.js` (the standalone server, exactly as `npm start` runs it) on a free port. */
export async function startProductServer(root: string, args: string[] = ['--offline'], nodeArgs: string[] = [], cli = CLI): Promise<ServerProc> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`node esbuild.js\` (npm run bench does).`);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, cli, '--port', '0', '--root', root, '--log-level', 'info', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const toolMs: Array<{ tool: string; ms: number }> = [];
  const lines: string[] = [];
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${lines.join('\n')}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${lines.join('\n')}`)));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const t = /tool (\w+)\b.* ok ([\d.]+) ms/.exec(line);
        if (t) toolMs.push({ tool: t[1], ms: Number(t[2]) });
        else if (lines.length < 200) lines.push(line);
        const m = /listening on (http:\/\/\S+\/mcp)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
  });
  const pid = child.pid!;
  let exit: string | undefined;
  child.on('exit', (code, signal) => (exit = `exit ${code ?? signal}`));
  const tail: string[] = [];
  child.stderr!.on('data', (c: string) => {
    for (const l of c.split('\n')) if (l.trim() && !/ tool \w+ .* ok /.test(l)) tail.push(l);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  });
  return {
    exited: () => exit,
    logTail: () => tail.join('\n'),
    url,
    pid,
    toolMs,
    rssMB: () => procStatus(pid, 'VmRSS'),
    peakMB: () => procStatus(pid, 'VmHWM'),
    resetPeak: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export { connectClient };

/** Calls a tool; throws with the tool's message on isError. Returns the raw result. */
export async function callOk(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  let r: any;
  try {
    r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
  } catch (e) {
    const cause = (e as { cause?: { message?: string; code?: string } }).cause;
    throw new Error(`${name}: ${(e as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`);
  }
  if (r.isError) throw new Error(`${name} failed: ${(r.content ?? []).map((c: any) => c.text).join(' ')}`);
  return r;
}

/** Times `n` sequential runs of fn (after `warmup` untimed ones); returns ms per run. */
export async function timeRuns(n: number, fn: (i: number) => Promise<unknown>, warmup = 0): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    xs.push(performance.now() - t);
  }
  return xs;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
