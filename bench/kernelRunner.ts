// Scenario 3: execute_cell of `1+1` through MCP against a direct @jupyterlab/services
// requestExecute on the same Jupyter server, stock and TCP_NODELAY-patched. The measuring is
// bench/kernel.ts (owned by the kernel work); this runs it in a child process and turns its report
// into rows. It prints medians only: p95/max are not available from it.
import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { log, ROOT, type Row } from './lib';

const S3 = '3 execute_cell';

export async function runKernel(o: { quick: boolean }): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const runs = o.quick ? 50 : 200;
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-kernel-'));
  const jsonFile = path.join(dir, 'kernel.json');
  log(`kernel: node --import tsx bench/kernel.ts --runs ${runs}`);
  const text = await new Promise<string>((resolve, reject) => {
    // --json is passed for when kernel.ts learns to write its figures as JSON; it ignores it today.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'kernel.ts'), '--runs', String(runs), '--json', jsonFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench/kernel.ts exited ${code}: ${err.split('\n').slice(-5).join(' ')}`))));
  });
  const figures = new Map<string, number>();
  if (existsSync(jsonFile)) {
    // Accept {label: ms} or [{label|name, ms|median}] from a future kernel.ts --json.
    const j = JSON.parse(readFileSync(jsonFile, 'utf8'));
    const entries = Array.isArray(j) ? j.map((e: any) => [e.label ?? e.name, e.ms ?? e.median ?? e.p50]) : Object.entries(j);
    for (const [k, v] of entries) if (typeof v === 'number') figures.set(String(k), v);
  }
  for (const line of text.split('\n')) {
    const m = /^\s+(.+?)\s{2,}([\d.]+) ms\s*$/.exec(line);
    if (m && !figures.has(m[1])) figures.set(m[1], Number(m[2]));
  }
  rmSync(dir, { recursive: true, force: true });
  const header = text.split('\n')[0];
  const get = (label: string) => figures.get(label);
  const rows: Row[] = [];
  for (const server of ['stock server', 'nodelay server'] as const) {
    const direct = get(`${server}: direct requestExecute, plain ws`);
    const directPong = get(`${server}: direct requestExecute, ws + pong`);
    const mcp = get(`${server}: MCP execute_cell, pong on (default)`);
    const mcpOff = get(`${server}: MCP execute_cell, pong off`);
    const med = (name: string, v: number | undefined, extra: Partial<Row> = {}): Row =>
      v === undefined ? { scenario: S3, case: `${server}: ${name}`, note: 'not reported by bench/kernel.ts' } : { scenario: S3, case: `${server}: ${name}`, n: runs, p50: v, ...extra };
    rows.push(med('direct @jupyterlab/services requestExecute (peer)', direct));
    rows.push(med('direct requestExecute, ws + pong after each message', directPong));
    rows.push(med('MCP execute_cell, pong off', mcpOff, direct !== undefined && mcpOff !== undefined ? { peer: 'direct', peerValue: direct, ratio: mcpOff / direct } : {}));
    if (mcp !== undefined && direct !== undefined) {
      const added = mcp - direct;
      const target = server === 'stock server' ? '≤ 8 ms median' : '≤ +1 ms, ratio ≤ 1.2';
      const pass = server === 'stock server' ? mcp <= 8 : added <= 1 && mcp / direct <= 1.2;
      rows.push(med('MCP execute_cell (default: pong on)', mcp, { peer: 'direct', peerValue: direct, ratio: mcp / direct, target, pass, note: `${added >= 0 ? '+' : ''}${added.toFixed(2)} ms vs direct${directPong !== undefined ? `, ${mcp - directPong >= 0 ? '+' : ''}${(mcp - directPong).toFixed(2)} ms vs direct with pong` : ''}; medians only (bench/kernel.ts)` }));
    } else rows.push(med('MCP execute_cell (default: pong on)', mcp));
  }
  // kernel.ts also runs execute_notebook on 20 cells against nbconvert: keep its figures as a cross-check.
  const nbRows = [...figures.entries()].filter(([k]) => /execute_notebook|nbconvert/.test(k));
  for (const [k, v] of nbRows) rows.push({ scenario: '4 execute_notebook', case: `(bench/kernel.ts) ${k}`, value: v, unit: 'ms' });
  return { rows, extra: { header, figures: Object.fromEntries(figures) } };
}
