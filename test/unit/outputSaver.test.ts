// execute_notebook saves outputs as cells finish, coalesced: the first cell's outputs are saved
// at once, later ones at most every SAVE_GAP_MS (never one durable rewrite per cell: on a two-core
// machine those writes took the CPU the kernel needed), and flush() saves what waits without
// waiting for the gap. A real file store on a temp folder; only the edits are counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { FileNotebookStore } from '../../src/notebooks/fileStore';
import { Workspace } from '../../src/notebooks/paths';
import { emptyNotebook, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';
import { OutputSaver, SAVE_GAP_MS } from '../../src/tools/execution';
import type { ToolContext } from '../../src/tools/tool';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a run of 40 cells finishing every 10 ms is saved a few times, the first at once and all of it by flush()', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'jmcp-saver-'));
  try {
    const nb = emptyNotebook({ name: 'python3' });
    for (let i = 0; i < 40; i++) nb.cells.push(makeCell('code', `x = ${i}`, { id: `c${i}` }));
    writeFileSync(path.join(root, 'run.ipynb'), serializeNotebook(nb));
    const store = new FileNotebookStore(new Workspace(root));
    let edits = 0;
    const counted = Object.assign(Object.create(store), {
      edit: (...args: Parameters<FileNotebookStore['edit']>) => {
        edits++;
        return store.edit(...args);
      },
    });
    // What OutputSaver uses of a tool's context: the store and the session's seen versions.
    const ctx = { notebooks: counted, session: { seen: new Map() } } as unknown as ToolContext;
    const saver = new OutputSaver(ctx, 'run.ipynb');
    const onDisk = () => JSON.parse(readFileSync(path.join(root, 'run.ipynb'), 'utf8')).cells.filter((c: any) => c.outputs.length > 0).length;
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) {
      saver.add({ id: `c${i}`, index: i, source: `x = ${i}` }, { status: 'ok', execution_count: i + 1, outputs: [{ output_type: 'stream', name: 'stdout', text: `${i}\n` }] });
      if (i === 0) {
        // Not held back by the gap: its save has begun when add() returns (and lands, however busy
        // the machine: no time bound here).
        assert.equal(edits, 1, "the first cell's save starts at once");
        while (onDisk() < 1) await sleep(5);
      }
      await sleep(10);
    }
    const ranMs = performance.now() - t0;
    await saver.flush();
    assert.equal(onDisk(), 40, 'every output is saved once flush() returns');
    // At most one save per 100 ms of the run (the gap is SAVE_GAP_MS, not less than that), and in
    // any case fewer saves than cells.
    assert.ok(SAVE_GAP_MS >= 100, `SAVE_GAP_MS is ${SAVE_GAP_MS}`);
    const most = Math.min(39, Math.ceil(ranMs / 100) + 2);
    assert.ok(edits <= most, `${edits} saves for 40 cells in ${ranMs.toFixed(0)} ms (at most ${most})`);
    const saved = JSON.parse(readFileSync(path.join(root, 'run.ipynb'), 'utf8'));
    assert.deepEqual(saved.cells.map((c: any) => c.execution_count), Array.from({ length: 40 }, (_, i) => i + 1));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
