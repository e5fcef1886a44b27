// Scenario 5: concurrency against one product server (`node dist/cli.js`).
//   A. 8 MCP sessions × 200 mixed calls, each session on its own notebook (8 notebooks).
//   B. 4 sessions × 100 edits on ONE notebook at once.
// Throughput, per-call p50/p95/p99, and a check on the files on disk that every edit is there
// (every added cell exactly once, every cell with its last update): zero lost updates.
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { joinSource, parseNotebook } from '../src/notebooks/nbformat';
import { rng, writeLargeNotebook } from '../test/fixtures/generate-large';
import { callOk, connectClient, log, startProductServer, stats, type Row } from './lib';

const S5 = '5 concurrency';
const CELLS = 100;

interface Expect {
  /** cell id -> expected source on disk */
  sources: Map<string, string>;
  added: number;
}

/** One session's workload; records what the files must contain afterwards. */
async function session(client: Client, nb: string, calls: number, seed: number, tag: string, mix: 'mixed' | 'edits', exp: Expect, lat: number[]): Promise<void> {
  const r = rng(seed);
  const mine: string[] = [];
  for (let i = 0; i < calls; i++) {
    const x = r();
    const t = performance.now();
    if (mix === 'mixed' && x < 0.3) {
      await callOk(client, 'read_notebook', { path: nb, format: 'outline' });
    } else if (mix === 'mixed' && x < 0.4) {
      await callOk(client, 'read_notebook', { path: nb, start_index: Math.floor(r() * 50), limit: 20 });
    } else if (mine.length === 0 || x < (mix === 'mixed' ? 0.65 : 0.45)) {
      const source = `${tag}_${i} = ${i}`;
      const res = await callOk(client, 'add_cell', { path: nb, cell_type: 'code', source, index: Math.floor(r() * CELLS) });
      const id = res.structuredContent.cell_id as string;
      mine.push(id);
      exp.sources.set(id, source);
      exp.added++;
    } else if (x < (mix === 'mixed' ? 0.85 : 0.8)) {
      const id = mine[Math.floor(r() * mine.length)];
      const source = `${tag}_${i} = "updated"`;
      await callOk(client, 'update_cell', { path: nb, cell_id: id, source });
      exp.sources.set(id, source);
    } else {
      await callOk(client, 'move_cell', { path: nb, cell_id: mine[Math.floor(r() * mine.length)], to_index: Math.floor(r() * CELLS) });
    }
    lat.push(performance.now() - t);
  }
}

function check(file: string, exp: Expect): { ok: boolean; missing: number; wrong: number; cells: number; expectedCells: number } {
  const nb = parseNotebook(readFileSync(file, 'utf8'), file);
  const byId = new Map(nb.cells.map((c) => [c.id as string, joinSource(c.source)]));
  let missing = 0;
  let wrong = 0;
  for (const [id, src] of exp.sources) {
    if (!byId.has(id)) missing++;
    else if (byId.get(id) !== src) wrong++;
  }
  const expectedCells = CELLS + exp.added;
  return { ok: missing === 0 && wrong === 0 && nb.cells.length === expectedCells && byId.size === nb.cells.length, missing, wrong, cells: nb.cells.length, expectedCells };
}

export async function runConcurrency(o: { quick: boolean }): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-conc-'));
  let bytes = 0;
  for (let i = 0; i < 8; i++) bytes = writeLargeNotebook(path.join(dir, `nb${i}.ipynb`), { cells: CELLS, seed: 100 + i });
  writeLargeNotebook(path.join(dir, 'shared.ipynb'), { cells: CELLS, seed: 99 });
  const server = await startProductServer(dir);
  const rows: Row[] = [];
  const extra: Record<string, unknown> = { notebookBytes: bytes };
  const clients = await Promise.all(Array.from({ length: 8 }, () => connectClient(server.url)));
  const mb = (bytes / 1e6).toFixed(2);
  try {
    // A. 8 sessions, 8 notebooks.
    const callsA = o.quick ? 50 : 200;
    log(`concurrency: 8 sessions × ${callsA} mixed calls on 8 notebooks`);
    const expA = Array.from({ length: 8 }, () => ({ sources: new Map<string, string>(), added: 0 }));
    const latA: number[] = [];
    server.resetPeak();
    const idle = server.rssMB();
    let t = performance.now();
    await Promise.all(clients.map((c, i) => session(c, `nb${i}.ipynb`, callsA, 1000 + i, `s${i}`, 'mixed', expA[i], latA)));
    const wallA = (performance.now() - t) / 1000;
    const checksA = expA.map((e, i) => check(path.join(dir, `nb${i}.ipynb`), e));
    const lostA = checksA.reduce((a, c) => a + c.missing + c.wrong, 0);
    const sA = stats(latA);
    rows.push({ scenario: S5, case: `A: 8 sessions × ${callsA} mixed calls, 8 notebooks (${CELLS} cells, ${mb} MB each)`, n: sA.n, p50: sA.p50, p95: sA.p95, p99: sA.p99, max: sA.max, note: `p99 ${sA.p99.toFixed(1)} ms; mix 30% outline read, 10% page read, 25% add, 20% update, 15% move` });
    rows.push({ scenario: S5, case: 'A: throughput', value: latA.length / wallA, unit: 'calls/s', note: `${latA.length} calls in ${wallA.toFixed(2)} s; server peak RSS ${(server.peakMB() - idle).toFixed(0)} MB above idle` });
    rows.push({ scenario: S5, case: 'A: lost updates (on disk)', value: lostA, unit: 'edits', target: '0', pass: lostA === 0 && checksA.every((c) => c.ok), note: `${expA.reduce((a, e) => a + e.sources.size, 0)} cells checked; cell counts ${checksA.every((c) => c.cells === c.expectedCells) ? 'all as expected' : 'WRONG'}` });
    extra.A = { wallS: wallA, checks: checksA };

    // B. 4 sessions on one notebook.
    const callsB = o.quick ? 25 : 100;
    log(`concurrency: 4 sessions × ${callsB} edits on one notebook`);
    const expB = { sources: new Map<string, string>(), added: 0 };
    const latB: number[] = [];
    t = performance.now();
    await Promise.all(clients.slice(0, 4).map((c, i) => session(c, 'shared.ipynb', callsB, 2000 + i, `w${i}`, 'edits', expB, latB)));
    const wallB = (performance.now() - t) / 1000;
    const checkB = check(path.join(dir, 'shared.ipynb'), expB);
    const lostB = checkB.missing + checkB.wrong + Math.abs(checkB.cells - checkB.expectedCells);
    const sB = stats(latB);
    rows.push({ scenario: S5, case: `B: 4 sessions × ${callsB} edits on one notebook`, n: sB.n, p50: sB.p50, p95: sB.p95, p99: sB.p99, max: sB.max, note: `p99 ${sB.p99.toFixed(1)} ms; edits on one file are serialized (one lock per file)` });
    rows.push({ scenario: S5, case: 'B: throughput', value: latB.length / wallB, unit: 'calls/s', note: `${latB.length} calls in ${wallB.toFixed(2)} s` });
    rows.push({ scenario: S5, case: 'B: lost updates (on disk)', value: lostB, unit: 'edits', target: '0', pass: lostB === 0 && checkB.ok, note: `${expB.sources.size} cells checked, ${checkB.cells} cells (expected ${checkB.expectedCells})` });
    extra.B = { wallS: wallB, check: checkB };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, extra };
}
