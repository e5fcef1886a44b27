// What keeping checkpoints and markers costs an agent's edit of the 471-cell notebook (issue #20:
// ≤ 1 ms added, and no edit waits on a checkpoint's disk write). Prints figures; asserts nothing.
//
//   node esbuild.js && node --import tsx bench/agentChanges.ts [--runs 100]
//
// Rows:
// - the edit alone: FileNotebookStore.edit of one cell's source (durable write), what every edit
//   cost before;
// - the same edit as update_cell makes it now (the session's staleness check inside the plan, the
//   tracking store recording the agent change), paired run by run with the first;
// - the added work alone, timed around its own calls on the same notebooks: the check, the
//   session's view update, the agent-change record (microseconds);
// - an agent's FIRST edit of a notebook (a checkpoint is taken): the added work, and the
//   checkpoint's write (2.8 MB), which runs after the edit has answered;
// - the markers: what the editor's cell status bar provider computes per cell (its VS Code calls
//   aside), for all 471 cells.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir, loadavg, cpus } from 'os';
import * as path from 'path';
import { writeLargeNotebook } from '../test/fixtures/generate-large';
import { Workspace } from '../src/notebooks/paths';
import { FileNotebookStore } from '../src/notebooks/fileStore';
import { joinSource, type Notebook } from '../src/notebooks/nbformat';
import { cellRefId } from '../src/notebooks/cells';
import { AgentChanges } from '../src/agents/changes';
import { CheckpointStore } from '../src/agents/checkpoints';
import { TrackingNotebookStore } from '../src/agents/trackingStore';
import { textPrint } from '../src/agents/prints';
import { checkCell, noteEdit, noteRead } from '../src/tools/cellGuard';
import { updateCell } from '../src/tools/update_cell';
import type { SessionState, ToolContext } from '../src/tools/tool';
import { collectNotes } from '../src/util/callNotes';
import { silentLogger } from '../src/util/log';
import type { CellEdit } from '../src/notebooks/store';
import { stats } from './lib';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 100;
const caller = { client: 'bench-agent', tool: 'update_cell' };
const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => (x < 1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(2)} ms`);

function line(name: string, xs: number[]): void {
  const s = stats(xs);
  process.stdout.write(`${name.padEnd(74)} p50 ${fmt(s.p50).padStart(9)}  p95 ${fmt(s.p95).padStart(9)}  max ${fmt(s.max).padStart(9)}  (n=${s.n})\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-agents-'));
  const cpDir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-cp-'));
  try {
    const bytes = writeLargeNotebook(path.join(dir, 'plain.ipynb'), { cells: 471, seed: 1 });
    writeLargeNotebook(path.join(dir, 'tracked.ipynb'), { cells: 471, seed: 1 });
    process.stdout.write(`471 cells, ${(bytes / 1e6).toFixed(1)} MB; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
    const files = new FileNotebookStore(new Workspace(dir));
    const agents = new AgentChanges({ store: files, checkpoints: new CheckpointStore(cpDir), log: silentLogger });
    const tracked = new TrackingNotebookStore(files, agents);
    const session: SessionState = { seen: new Map(), clientName: () => caller.client };
    const ctx: ToolContext = {
      notebooks: tracked,
      agents,
      session,
      kernels: undefined as never,
      limits: { maxOutputChars: 20_000, maxImageBytes: 512 * 1024, maxResultChars: 8_000 },
      execution: { timeoutMs: 10_000 },
      log: silentLogger,
      mayRunCode: () => undefined,
    };
    const extra = { signal: new AbortController().signal, progress: async () => undefined };
    // The session has read the notebook, as an agent does before editing.
    const first = await files.read('tracked.ipynb');
    noteRead(session, 'tracked.ipynb', first.notebook, 0, first.notebook.cells.length);
    const codeCells = first.notebook.cells.map((c, i) => (c.cell_type === 'code' ? i : -1)).filter((i) => i >= 0);

    // The first edit of each notebook (its first write compares every cell with the file's bytes;
    // the agent's also takes the checkpoint, written after it answered: timed on its own below).
    await files.edit('plain.ipynb', () => ({ edits: [{ kind: 'source', index: codeCells[0], source: 'x = 0' }], result: 0 }));
    await collectNotes(() => updateCell.handler({ path: 'tracked.ipynb', index: codeCells[0], source: 'x = 0' }, ctx, extra), caller);
    const t1 = performance.now();
    await agents.flush();
    const checkpointWrite = ms(t1);

    const plain: number[] = [];
    const withTracking: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const i = codeCells[(k * 7 + 1) % codeCells.length];
      const source = `value_${k} = ${k}\nprint(value_${k})`;
      // Alternated, so that load on the machine falls on both alike.
      let t = performance.now();
      await files.edit('plain.ipynb', () => ({ edits: [{ kind: 'source', index: i, source }], result: i }));
      plain.push(ms(t));
      t = performance.now();
      const r = await collectNotes(() => updateCell.handler({ path: 'tracked.ipynb', index: i, source }, ctx, extra), caller);
      withTracking.push(ms(t));
      if (r.notes.length) throw new Error(`unexpected notes: ${r.notes.join(' ')}`);
    }
    await agents.flush();

    // The added work alone, on the same notebooks (no disk write in between).
    const added: number[] = [];
    const firstAdded: number[] = [];
    let nb: Notebook = (await files.read('tracked.ipynb')).notebook;
    const info = { path: path.join(dir, 'tracked.ipynb'), relativePath: 'tracked.ipynb', store: 'file' as const };
    const { applyEdits } = await import('../src/notebooks/cells');
    for (let k = 0; k < RUNS; k++) {
      const i = codeCells[(k * 11 + 3) % codeCells.length];
      const edits: CellEdit[] = [{ kind: 'source', index: i, source: `y = ${k}` }];
      const after = applyEdits(nb, edits);
      const t = performance.now();
      checkCell(session, 'tracked.ipynb', nb, i, { index: i });
      noteEdit(session, 'tracked.ipynb', nb, edits, after);
      agents.recordEdit(info, nb, edits, after, caller);
      added.push(ms(t));
      nb = after;
    }
    // A first change of a notebook: a fresh tracker each time, so each records a checkpoint.
    for (let k = 0; k < Math.min(RUNS, 50); k++) {
      const fresh = new AgentChanges({ store: files, checkpoints: new CheckpointStore(undefined), log: silentLogger });
      await fresh.ready;
      const i = codeCells[k % codeCells.length];
      const edits: CellEdit[] = [{ kind: 'source', index: i, source: `z = ${k}` }];
      const after = applyEdits(nb, edits);
      const t = performance.now();
      fresh.recordEdit(info, nb, edits, after, caller);
      firstAdded.push(ms(t));
    }

    // Markers: per cell, what the provider computes (has, markOf, the print of the cell's text).
    const marks: number[] = [];
    const texts = nb.cells.map((c) => ({ id: cellRefId(c, 0), text: joinSource(c.source), type: c.cell_type }));
    for (let k = 0; k < 20; k++) {
      const t = performance.now();
      for (const c of texts) {
        if (!agents.has('tracked.ipynb')) continue;
        const m = agents.markOf('tracked.ipynb', c.id);
        // The provider caches the print per cell text version; uncached here (the worst case).
        if (m) void (m.print === textPrint(c.text, c.type));
      }
      marks.push(ms(t));
    }

    line('edit alone (FileNotebookStore.edit, one cell, durable write)', plain);
    line('update_cell now (staleness check + agent-change record), same edits', withTracking);
    const diffs = withTracking.map((x, k) => x - plain[k]);
    line('  difference, run by run (noise of the disk write included)', diffs);
    line('added work alone: check + session view + record, per edit', added);
    line("added work alone on an agent's FIRST edit (checkpoint taken)", firstAdded);
    process.stdout.write(`${'checkpoint write (2.8 MB, after the edit answered; not on its path)'.padEnd(74)} ${fmt(checkpointWrite)}\n`);
    line('markers: provider work for all 471 cells (one refresh)', marks);
    await agents.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cpDir, { recursive: true, force: true });
  }
}

void main();
