// Where the time of one file edit goes (not part of `npm run bench`; used to find the causes of
// missed targets): the store's steps timed one by one on the generated notebooks, in-process.
//   node --import tsx bench/profile.ts [--cells 471] [--runs 30]
import { promises as fs, constants as fsc, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { applyEdits } from '../src/notebooks/cells';
import { FileNotebookStore } from '../src/notebooks/fileStore';
import { makeCell, parseNotebook, serializeNotebook, type Notebook } from '../src/notebooks/nbformat';
import { outlineCell, outlineText } from '../src/notebooks/outline';
import { Workspace } from '../src/notebooks/paths';
import { writeLargeNotebook } from '../test/fixtures/generate-large';
import { stats } from './lib';

const arg = (n: string, d: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const CELLS = Number(arg('cells', '471'));
const RUNS = Number(arg('runs', '30'));

async function time(name: string, fn: (i: number) => Promise<unknown> | unknown, runs = RUNS): Promise<void> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    xs.push(performance.now() - t);
  }
  const s = stats(xs);
  process.stdout.write(`  ${name.padEnd(58)} p50 ${s.p50.toFixed(2).padStart(8)} ms   p95 ${s.p95.toFixed(2).padStart(8)} ms\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-profile-'));
  const file = path.join(dir, 'big.ipynb');
  const bytes = writeLargeNotebook(file, { cells: CELLS, seed: 1 });
  process.stdout.write(`${CELLS} cells, ${(bytes / 1e6).toFixed(2)} MB, ${RUNS} runs\n`);
  const text = await fs.readFile(file, 'utf8');
  const nb = parseNotebook(text, 'big');
  await time('JSON.parse + validate (parseNotebook)', () => parseNotebook(text, 'big'), 5);
  await time('serializeNotebook, cold cell cache', () => serializeNotebook(parseNotebook(text, 'big')), 3);
  serializeNotebook(nb);
  let cur: Notebook = nb;
  await time('applyEdits insert (copy cells array + ids Set)', () => applyEdits(cur, [{ kind: 'insert', index: 10, cells: [makeCell('code', 'x=1')] }]));
  await time('serializeNotebook after 1-cell change (cache warm)', () => {
    cur = applyEdits(cur, [{ kind: 'source', index: 5, source: `y = ${Math.random()}` }]);
    return serializeNotebook(cur);
  });
  const out = serializeNotebook(cur);
  await time('Buffer.from(text) (utf8 encode)', () => Buffer.from(out, 'utf8'));
  await time('write temp file (no fsync) + close', async (i) => {
    const h = await fs.open(path.join(dir, `t${i}`), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    await h.writeFile(out, 'utf8');
    await h.close();
  });
  await time('write temp file + fsync + close', async (i) => {
    const h = await fs.open(path.join(dir, `s${i}`), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    await h.writeFile(out, 'utf8');
    await h.sync();
    await h.close();
  });
  await time('fdatasync only (after write)', async (i) => {
    const h = await fs.open(path.join(dir, `d${i}`), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    await h.writeFile(out, 'utf8');
    const t = performance.now();
    await h.datasync();
    const ms = performance.now() - t;
    await h.close();
    return ms;
  });
  // Proposed fix: keep each cell's serialized JSON as a cached Buffer and write the list with
  // writev, so an edit encodes one cell instead of the whole 2.8 / 50 MB string.
  const bufs = [Buffer.from('{\n "cells": [\n'), ...cur.cells.map((c) => Buffer.from(JSON.stringify(c, null, 1) + ',\n')), Buffer.from(' ]\n}\n')];
  await time('writev(cached per-cell Buffers, as fileStore does) + close', async (i) => {
    const h = await fs.open(path.join(dir, `v${i}`), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    for (let k = 0; k < bufs.length; k += 1024) await h.writev(bufs.slice(k, k + 1024));
    await h.close();
  });
  await time('writev(cached per-cell Buffers, as fileStore does) + fsync + close', async (i) => {
    const h = await fs.open(path.join(dir, `w${i}`), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    for (let k = 0; k < bufs.length; k += 1024) await h.writev(bufs.slice(k, k + 1024));
    await h.sync();
    await h.close();
  });
  await time('stat x3 + rename', async (i) => {
    await fs.stat(file, { bigint: true });
    await fs.stat(file);
    await fs.rename(path.join(dir, `t${i}`), path.join(dir, `r${i}`));
    await fs.stat(path.join(dir, `r${i}`), { bigint: true });
  });
  await time('outline of every cell (outlineCell + outlineText)', () => outlineText(cur.cells.map((c, i) => outlineCell(c, i))));
  await time('JSON.stringify(outline structured)', () => JSON.stringify(cur.cells.map((c, i) => outlineCell(c, i))));

  const store = new FileNotebookStore(new Workspace(dir));
  await store.read('big.ipynb');
  await time('FileNotebookStore.read (cached)', () => store.read('big.ipynb'));
  await time('FileNotebookStore.edit insert (durable)', () => store.edit('big.ipynb', (n) => ({ edits: [{ kind: 'insert', index: 10, cells: [makeCell('code', 'z=1')] }], result: n.cells.length })));
  const fast = new FileNotebookStore(new Workspace(dir), { durable: false });
  await fast.read('big.ipynb');
  await time('FileNotebookStore.edit insert (durable: false)', () => fast.edit('big.ipynb', (n) => ({ edits: [{ kind: 'insert', index: 10, cells: [makeCell('code', 'z=1')] }], result: n.cells.length })));
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
