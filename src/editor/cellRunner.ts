// Runs a cell of a notebook open in VS Code the way the person would: through VS Code's
// `notebook.cell.execute` on the notebook's selected kernel (our "Jupyter MCP" controller, or the
// Jupyter extension's kernel). The person watches the outputs appear, the outputs and execution
// count land in the document by the editor's own means, and the tool gets them back as nbformat.
import * as vscode from 'vscode';
import { KernelError, type ExecuteOptions, type ExecuteResult } from '../kernels/backend';
import type { CellRunner, RangeOptions } from '../tools/tool';
import { outputsFromVscode } from './cellOutputs';
import type { EditorKernels } from './editorKernels';
import { timeoutOrAbort } from '../util/deadline';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * How long to wait, after `notebook.cell.execute` has returned, for a sign that the cell started.
 * Controllers' execute handlers return once their cells ran, so a cell with no sign of a run by
 * then was not run (it was already running, or no kernel took it).
 */
const START_GRACE_MS = 2000;
/** After a cancellation, how long the kernel gets to stop the cell before we return anyway. */
const CANCEL_GRACE_MS = 5000;

type Summary = vscode.NotebookCellExecutionSummary | undefined;

export class EditorCellRunner implements CellRunner {
  constructor(private readonly kernels: EditorKernels) {}

  /** The notebook is open and shown in an editor, with a kernel that runs without asking the person. */
  async serves(relativePath: string): Promise<boolean> {
    const doc = this.kernels.openNotebook(relativePath);
    if (!doc || !isShown(doc)) return false;
    return this.kernels.hasRunnableKernel(doc);
  }

  async runCell(relativePath: string, index: number, opts: ExecuteOptions): Promise<ExecuteResult & { kernel_id: string }> {
    const doc = this.kernels.openNotebook(relativePath);
    if (!doc) throw new KernelError(`${relativePath} is not open in VS Code any more: call the tool again (it then uses the notebook's Jupyter kernel).`, 'not-found');
    if (index < 0 || index >= doc.cellCount) throw new KernelError(`${relativePath} has ${doc.cellCount} cells in VS Code: there is no cell ${index}.`, 'not-found');
    const cell = doc.cellAt(index);
    if (cell.kind !== vscode.NotebookCellKind.Code) throw new KernelError(`Cell ${index} of ${relativePath} is not a code cell.`, 'kernel');
    // VS Code's cell commands fall back to the ACTIVE notebook editor when the document has none:
    // never send them for a notebook that is not shown, or another notebook's cell would run.
    if (!isShown(doc)) {
      throw new KernelError(`${relativePath} is open in VS Code but not shown in an editor, so its cells cannot be run there. Show it, or call the tool again to use its Jupyter kernel.`, 'kernel');
    }
    if (opts.signal?.aborted) return { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the cell started.', kernel_id: this.kernels.kernelIdFor(doc) };

    const started = Date.now();
    let sawStart = false;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const isFinished = (s: Summary): boolean => {
      if (!s?.timing?.endTime) return false;
      // A finished summary is ours if we saw our run queued or running, or if it started after our
      // request (a run that ended just before could still be reporting its end).
      return sawStart || s.timing.startTime >= started;
    };
    const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook !== doc) return;
      for (const ch of e.cellChanges) {
        if (ch.cell !== cell) continue;
        if (ch.outputs && opts.onOutput && cell.outputs.length) {
          const outputs = outputsFromVscode(cell.outputs);
          try {
            opts.onOutput(outputs[outputs.length - 1], outputs.length);
          } catch {
            // A failing progress callback must not break the run.
          }
        }
        if (ch.executionSummary !== undefined || ch.metadata !== undefined) {
          const s = cell.executionSummary;
          // Queued or running: VS Code resets the summary when an execution is created, and sets
          // the timing (start and end) only when it ends.
          if (!s?.timing?.endTime) sawStart = true;
          if (isFinished(s)) resolveDone();
        }
      }
    });
    const closed = vscode.workspace.onDidCloseNotebookDocument((d) => d === doc && resolveDone());

    const args = () => ({ ranges: [{ start: Math.max(0, cell.index), end: Math.max(0, cell.index) + 1 }], document: doc.uri });
    const send = () =>
      Promise.resolve(vscode.commands.executeCommand('notebook.cell.execute', args())).then(
        () => undefined,
        (e: unknown) => e,
      );

    const { stop, dispose: disposeStop } = timeoutOrAbort(opts.timeoutMs, opts.signal);
    // The command returned without any sign of our run: nothing ran. It is sent once more first:
    // right after the Jupyter extension's modal consent dialog closes, VS Code was seen returning
    // from the command without queuing the cell (no execution was created, so a second request
    // cannot run it twice).
    const notRun = (async () => {
      for (let attempt = 0; ; attempt++) {
        const err = await send();
        if (err) return { err };
        await sleep(START_GRACE_MS);
        if (sawStart || isFinished(cell.executionSummary)) return new Promise<never>(() => undefined);
        if (attempt >= 1 || opts.signal?.aborted) return { err: undefined };
        // Bring the notebook's editor back before asking again (its view may have been torn down
        // and rebuilt by the dialog), without taking the person's focus.
        const shown = vscode.window.visibleNotebookEditors.find((e) => e.notebook === doc);
        await Promise.resolve(vscode.window.showNotebookDocument(doc, { preserveFocus: true, ...(shown?.viewColumn ? { viewColumn: shown.viewColumn } : {}) })).catch(() => undefined);
      }
    })();

    try {
      const outcome = await Promise.race([done.then(() => 'done' as const), stop, notRun]);
      const kernelId = this.kernels.kernelIdFor(doc);
      const count = () => cell.executionSummary?.executionOrder ?? null;
      if (outcome === 'done') {
        const s = cell.executionSummary;
        if (doc.isClosed || cell.index < 0) {
          return { status: 'aborted', execution_count: null, outputs: outputsFromVscode(cell.outputs), message: `The ${doc.isClosed ? 'notebook was closed' : 'cell was deleted'} while it ran.`, kernel_id: kernelId };
        }
        return { status: s?.success === false ? 'error' : 'ok', execution_count: count(), outputs: outputsFromVscode(cell.outputs), kernel_id: kernelId };
      }
      if (typeof outcome === 'object') {
        const why = outcome.err ? `: ${(outcome.err as Error).message ?? outcome.err}` : ' (it may already be running, or no kernel took it)';
        return { status: 'aborted', execution_count: null, outputs: [], message: `VS Code did not run cell ${index} of ${relativePath}${why}. Call the tool again, or pass kernel_id to run the code in a Jupyter kernel.`, kernel_id: kernelId };
      }
      // Time-out or cancellation: cancel the cell like the person's Stop button (the kernel is interrupted).
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (isShown(doc) && cell.index >= 0) {
        await Promise.resolve(vscode.commands.executeCommand('notebook.cell.cancelExecution', args())).then(undefined, () => undefined);
      }
      const stopped = await Promise.race([done.then(() => true), sleep(CANCEL_GRACE_MS).then(() => false)]);
      return { ...stoppedResult(outcome, seconds, stopped, cell, count()), kernel_id: kernelId };
    } finally {
      disposeStop();
      sub.dispose();
      closed.dispose();
    }
  }
  /**
   * Runs several code cells with ONE `notebook.cell.execute` (their indices as ranges): the editor
   * queues them all at once, so no cell waits for a command and event round trip after the one
   * before. Yields each cell's result in order, like KernelBackend.executeSequence; stops after
   * the first one that is not "ok" unless `continueOnError`. Controllers stop their queue at a
   * failing cell (ours, the Jupyter extension's), so to go on the cells not run yet are sent again
   * as a new range once VS Code has ended the first request.
   */
  async *runCells(relativePath: string, indices: readonly number[], opts: RangeOptions): AsyncGenerator<ExecuteResult & { kernel_id: string }, void, undefined> {
    const doc = this.kernels.openNotebook(relativePath);
    if (!doc) throw new KernelError(`${relativePath} is not open in VS Code any more: call the tool again (it then uses the notebook's Jupyter kernel).`, 'not-found');
    const cells = indices.map((index) => {
      if (index < 0 || index >= doc.cellCount) throw new KernelError(`${relativePath} has ${doc.cellCount} cells in VS Code: there is no cell ${index}.`, 'not-found');
      const cell = doc.cellAt(index);
      if (cell.kind !== vscode.NotebookCellKind.Code) throw new KernelError(`Cell ${index} of ${relativePath} is not a code cell.`, 'kernel');
      return cell;
    });
    if (!isShown(doc)) {
      throw new KernelError(`${relativePath} is open in VS Code but not shown in an editor, so its cells cannot be run there. Show it, or call the tool again to use its Jupyter kernel.`, 'kernel');
    }
    const kernelId = () => this.kernels.kernelIdFor(doc);
    const position = new Map(cells.map((c, k) => [c, k]));
    // Per cell: queued or running seen (VS Code resets the summary when it queues a cell), finished.
    const state = cells.map(() => ({ sawStart: false, finished: false }));
    let batchStarted = Date.now();
    let wake: () => void = () => undefined;
    const poke = () => wake();
    const isFinished = (k: number): boolean => {
      const s = cells[k].executionSummary;
      return !!s?.timing?.endTime && (state[k].sawStart || s.timing.startTime >= batchStarted);
    };
    const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook !== doc) return;
      for (const ch of e.cellChanges) {
        const k = position.get(ch.cell);
        if (k === undefined) continue;
        if (ch.outputs && opts.onOutput && ch.cell.outputs.length) {
          const outputs = outputsFromVscode(ch.cell.outputs);
          try {
            opts.onOutput(k, outputs[outputs.length - 1], outputs.length);
          } catch {
            // A failing progress callback must not break the run.
          }
        }
        if (ch.executionSummary !== undefined || ch.metadata !== undefined) {
          if (!ch.cell.executionSummary?.timing?.endTime) state[k].sawStart = true;
          if (isFinished(k)) state[k].finished = true;
        }
      }
      poke();
    });
    const closed = vscode.workspace.onDidCloseNotebookDocument((d) => d === doc && poke());
    const gone = (k: number) => doc.isClosed || cells[k].index < 0;
    const rangesOf = (ks: number[]) =>
      ks
        .map((k) => cells[k].index)
        .filter((i) => i >= 0)
        .sort((a, b) => a - b)
        .reduce<{ start: number; end: number }[]>((rs, i) => {
          const last = rs[rs.length - 1];
          if (last && last.end === i) last.end = i + 1;
          else rs.push({ start: i, end: i + 1 });
          return rs;
        }, []);
    const command = (name: string, ks: number[]) =>
      Promise.resolve(vscode.commands.executeCommand(name, { ranges: rangesOf(ks), document: doc.uri })).then(
        () => undefined,
        (e: unknown) => e,
      );

    /** One request for cells from..end: `over` once VS Code answered it and late events had time to arrive. */
    interface Batch {
      returned: boolean;
      over: boolean;
      error?: unknown;
      /** Settles when VS Code answered the first request (its controller's handler returned). */
      answered: Promise<void>;
      done: Promise<void>;
    }
    const send = (rest: number[]): Batch => {
      batchStarted = Date.now();
      for (const k of rest) state[k].sawStart = false;
      let answered!: () => void;
      const batch: Batch = { returned: false, over: false, answered: new Promise<void>((r) => (answered = r)), done: Promise.resolve() };
      batch.done = (async () => {
        for (let attempt = 0; ; attempt++) {
          batch.error = await command('notebook.cell.execute', rest);
          batch.returned = true;
          answered();
          poke();
          if (batch.error) break;
          // Controllers' execute handlers return once their cells ran: a cell with no sign of a run
          // by then was not run. As in runCell, a request VS Code dropped without queuing anything
          // (seen right after the Jupyter extension's consent dialog) is sent once more.
          await sleep(START_GRACE_MS);
          if (attempt >= 1 || opts.signal?.aborted || rest.some((k) => state[k].sawStart || state[k].finished || isFinished(k))) break;
          const shown = vscode.window.visibleNotebookEditors.find((e) => e.notebook === doc);
          await Promise.resolve(vscode.window.showNotebookDocument(doc, { preserveFocus: true, ...(shown?.viewColumn ? { viewColumn: shown.viewColumn } : {}) })).catch(() => undefined);
          batch.returned = false;
        }
        batch.over = true;
        poke();
      })();
      return batch;
    };
    const unfinished = (from: number) => cells.map((_, k) => k).slice(from).filter((k) => !state[k].finished && !gone(k));

    if (opts.signal?.aborted) {
      yield { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the cell started.', kernel_id: kernelId() };
      return;
    }
    let batch = send(cells.map((_, k) => k));
    try {
      for (let k = 0; k < cells.length; k++) {
        const cell = cells[k];
        const started = Date.now();
        const { stop, dispose } = timeoutOrAbort(opts.timeoutMs, opts.signal);
        let res: ExecuteResult & { kernel_id: string };
        try {
          let outcome: 'done' | 'not-run' | 'timeout' | 'abort' | undefined;
          stop.then((o) => {
            outcome ??= o;
            poke();
          }, () => undefined);
          for (;;) {
            if (gone(k) || state[k].finished || isFinished(k)) outcome ??= 'done';
            else if (batch.over) outcome ??= 'not-run';
            if (outcome) break;
            await new Promise<void>((r) => (wake = r));
          }
          const count = () => cell.executionSummary?.executionOrder ?? null;
          if (outcome === 'done') {
            res = gone(k)
              ? { status: 'aborted', execution_count: null, outputs: outputsFromVscode(cell.outputs), message: `The ${doc.isClosed ? 'notebook was closed' : 'cell was deleted'} while it ran.`, kernel_id: kernelId() }
              : { status: cell.executionSummary?.success === false ? 'error' : 'ok', execution_count: count(), outputs: outputsFromVscode(cell.outputs), kernel_id: kernelId() };
          } else if (outcome === 'not-run') {
            const why = batch.error ? `: ${(batch.error as Error).message ?? batch.error}` : ' (it may already be running, or no kernel took it)';
            res = { status: 'aborted', execution_count: null, outputs: [], message: `VS Code did not run cell ${cell.index} of ${relativePath}${why}. Call the tool again, or pass kernel_id to run the code in a Jupyter kernel.`, kernel_id: kernelId() };
          } else {
            // Time-out or cancellation: cancel like the person's Stop button. On cancellation the
            // cells queued after this one are cancelled too (a cancelled run runs nothing more).
            const seconds = ((Date.now() - started) / 1000).toFixed(1);
            if (isShown(doc) && !gone(k)) await command('notebook.cell.cancelExecution', outcome === 'abort' ? unfinished(k) : [k]);
            const stopped = await Promise.race([
              (async () => {
                while (!(gone(k) || state[k].finished || isFinished(k) || batch.over)) await new Promise<void>((r) => (wake = r));
                return gone(k) || state[k].finished || isFinished(k);
              })(),
              sleep(CANCEL_GRACE_MS).then(() => false),
            ]);
            poke();
            res = { ...stoppedResult(outcome, seconds, stopped, cell, count()), kernel_id: kernelId() };
          }
        } finally {
          dispose();
        }
        yield res;
        if (res.status === 'ok') continue;
        if (!opts.continueOnError || res.status === 'aborted' || k === cells.length - 1) return;
        // The controller stopped its queue at this cell: once VS Code has answered that request (it
        // clears the cells left queued before answering), the rest go in a new one. Cells that ran anyway
        // (a controller that does not stop) are not run twice.
        const { stop: waitStop, dispose: waitDispose } = timeoutOrAbort(opts.timeoutMs, opts.signal);
        const ended = await Promise.race([batch.answered.then(() => true), waitStop.then(() => false)]);
        waitDispose();
        if (!ended) {
          yield {
            status: 'aborted',
            execution_count: null,
            outputs: [],
            message: opts.signal?.aborted
              ? 'Cancelled before the cell started.'
              : `Not run: VS Code was still busy with the cells before (cell ${cell.index} did not stop) after ${Math.round(opts.timeoutMs / 1000)} s. Call interrupt_kernel, then run the rest.`,
            kernel_id: kernelId(),
          };
          return;
        }
        const next = unfinished(k + 1);
        if (next.length) batch = send(next);
      }
    } finally {
      // The caller stopped reading (the tool ended early): cells still queued must not run after
      // the tool has answered. Only while VS Code's request is open: a cancel with nothing of ours
      // running would interrupt the kernel under someone else's code.
      // Controllers answer right after their last cell (or a failing one): give them a moment.
      if (!batch.returned) await Promise.race([batch.answered, sleep(1000)]);
      const left = batch.returned ? [] : unfinished(0).filter((k) => state[k].sawStart);
      if (left.length && isShown(doc)) await command('notebook.cell.cancelExecution', left);
      sub.dispose();
      closed.dispose();
    }
  }
}

/** The result of a cell stopped by its time-out or a cancellation (the kernel was interrupted). */
function stoppedResult(outcome: 'timeout' | 'abort', seconds: string, stopped: boolean, cell: vscode.NotebookCell, count: number | null): ExecuteResult {
  const after = stopped
    ? 'the cell was stopped (its kernel interrupted); the kernel state up to that point is kept.'
    : 'the cell did not stop after a cancel and may still be running: call interrupt_kernel or restart_kernel.';
  return {
    status: outcome === 'timeout' ? 'timeout' : 'aborted',
    execution_count: count,
    outputs: outputsFromVscode(cell.outputs),
    message:
      outcome === 'timeout'
        ? `Execution timed out after ${seconds} s: ${after} Outputs produced before the time-out are included (the cell in VS Code shows them too). Pass a larger timeout (in seconds) for long-running code.`
        : `Execution cancelled by the client after ${seconds} s: ${after}`,
  };
}

/** Whether the notebook is shown in an editor (VS Code's cell commands need one). */
function isShown(doc: vscode.NotebookDocument): boolean {
  return vscode.window.visibleNotebookEditors.some((e) => e.notebook === doc);
}
