// Runs a cell of a notebook open in VS Code the way the person would: through VS Code's
// `notebook.cell.execute` on the notebook's selected kernel (our "Jupyter MCP" controller, or the
// Jupyter extension's kernel). The person watches the outputs appear, the outputs and execution
// count land in the document by the editor's own means, and the tool gets them back as nbformat.
import * as vscode from 'vscode';
import { KernelError, type ExecuteOptions, type ExecuteResult } from '../kernels/backend';
import type { CellRunner } from '../tools/tool';
import { outputsFromVscode, type EditorKernels } from './editorKernels';
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
      const after = stopped
        ? 'the cell was stopped (its kernel interrupted); the kernel state up to that point is kept.'
        : 'the cell did not stop after a cancel and may still be running: call interrupt_kernel or restart_kernel.';
      return {
        status: outcome === 'timeout' ? 'timeout' : 'aborted',
        execution_count: count(),
        outputs: outputsFromVscode(cell.outputs),
        message:
          outcome === 'timeout'
            ? `Execution timed out after ${seconds} s: ${after} Outputs produced before the time-out are included (the cell in VS Code shows them too). Pass a larger timeout (in seconds) for long-running code.`
            : `Execution cancelled by the client after ${seconds} s: ${after}`,
        kernel_id: kernelId,
      };
    } finally {
      disposeStop();
      sub.dispose();
      closed.dispose();
    }
  }
}

/** Whether the notebook is shown in an editor (VS Code's cell commands need one). */
function isShown(doc: vscode.NotebookDocument): boolean {
  return vscode.window.visibleNotebookEditors.some((e) => e.notebook === doc);
}
