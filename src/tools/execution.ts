// Shared by the execution tools: the timeout parameter, the output schema, keep-alive progress while
// code runs, choosing the notebook's kernel, and saving a cell's outputs back into the notebook.
import { z } from 'zod';
import type { ExecuteOptions, ExecuteResult } from '../kernels/backend';
import { renderOutputs, type RenderedOutputs } from '../kernels/outputs';
import type { Cell, Notebook } from '../notebooks/nbformat';
import type { CellEdit } from '../notebooks/store';
import { joinSource } from '../notebooks/nbformat';
import type { ToolCallExtra, ToolContext } from './tool';
import { callText, readOutputCall } from './notebookView';

export const timeoutParam = z
  .number()
  .positive()
  .max(7 * 24 * 3600)
  .optional()
  .describe('Seconds per cell before interrupting (default: server setting).');

export const kernelIdParam = z.string().min(1).describe('From start_kernel or list_kernels.');

export const outputsSchema = z
  .array(z.looseObject({ output_type: z.string().describe('stream, execute_result, display_data or error.') }))
  .describe('nbformat outputs as the model sees them: ANSI codes stripped, long text truncated, images replaced by a note (they follow as image content).');

export const statusSchema = z
  .enum(['ok', 'error', 'aborted', 'timeout'])
  .describe('"ok"; "error" (the code raised); "timeout" (interrupted after the time-out, partial outputs); "aborted" (cancelled, or not run by the kernel).');

/** Resolves the tool's `timeout` (seconds) against the server default (ms). */
export function timeoutMs(ctx: ToolContext, seconds?: number): number {
  return seconds !== undefined ? Math.round(seconds * 1000) : ctx.execution.timeoutMs;
}

/** The kernelspec a notebook asks for (metadata.kernelspec.name), if any. */
export function notebookKernelName(nb: Readonly<Notebook>): string | undefined {
  const ks = (nb.metadata?.kernelspec ?? undefined) as { name?: unknown } | undefined;
  return typeof ks?.name === 'string' && ks.name ? ks.name : undefined;
}

/** The kernel to use for a notebook: the one given, else the notebook's own (Jupyter session). */
export async function kernelFor(ctx: ToolContext, relativePath: string, nb: Readonly<Notebook>, kernelId?: string): Promise<string> {
  if (kernelId) return kernelId;
  const k = await ctx.kernels.kernelForNotebook(relativePath, notebookKernelName(nb));
  return k.id;
}

/** Runs the code cells of one notebook, through the editor or a kernel backend. */
export interface CellExecutor {
  kernelId: string;
  /** True when the editor writes outputs into the document itself (no saveOutputs needed). */
  writesOutputs: boolean;
  run(cell: { index: number; source: string }, opts: ExecuteOptions): Promise<ExecuteResult>;
}

/**
 * Picks how a notebook's cells run. Without kernel_id, a notebook open in VS Code with a kernel
 * runs through the editor (the person watches the outputs appear); otherwise code goes to the
 * kernel backend (the given kernel, or the notebook's own Jupyter session).
 */
export async function executorFor(ctx: ToolContext, relativePath: string, nb: Readonly<Notebook>, kernelId?: string): Promise<CellExecutor> {
  const runner = ctx.cellRunner;
  if (!kernelId && runner && (await runner.serves(relativePath))) {
    let id = 'editor';
    return {
      get kernelId() {
        return id;
      },
      writesOutputs: true,
      run: async (cell, opts) => {
        const r = await runner.runCell(relativePath, cell.index, opts);
        id = r.kernel_id;
        return r;
      },
    };
  }
  const id = await kernelFor(ctx, relativePath, nb, kernelId);
  return { kernelId: id, writesOutputs: false, run: (cell, opts) => ctx.kernels.execute(id, cell.source, opts) };
}

export interface ProgressSpan {
  /** Progress value at the start of this run; heartbeats stay below `base + 1`. */
  base: number;
  total?: number;
  label: string;
}

/**
 * Runs code and keeps the client informed: a progress notification when outputs arrive (at most
 * every 500 ms) and a heartbeat every 5 s, so clients that drop silent calls (Roo: 60 s) keep
 * waiting for long cells. Progress values only grow, as MCP requires.
 */
export async function runWithProgress(
  extra: ToolCallExtra,
  run: (opts: ExecuteOptions) => Promise<ExecuteResult>,
  ms: number,
  span: ProgressSpan = { base: 0, label: 'Running' },
): Promise<ExecuteResult> {
  const started = Date.now();
  let step = 0;
  let outputs = 0;
  let lastSent = 0;
  const send = () => {
    lastSent = Date.now();
    step++;
    // Asymptotically approaches base + 1 so the next cell's base is always larger.
    const value = span.base + (span.total !== undefined ? 1 - 1 / (step + 1) : step);
    const secs = Math.round((Date.now() - started) / 1000);
    void extra.progress(value, `${span.label}: ${secs} s, ${outputs} output${outputs === 1 ? '' : 's'}`, span.total).catch(() => undefined);
  };
  const heartbeat = setInterval(send, 5000);
  try {
    return await run({
      timeoutMs: ms,
      signal: extra.signal,
      onOutput: (_o, count) => {
        outputs = count;
        if (Date.now() - lastSent >= 500) send();
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
}

/** Where a cell is now: by id when it has one (cells may move while code runs), else by index if unchanged. */
export function findCell(nb: Readonly<Notebook>, ref: { id?: string; index: number; source: string }): number {
  if (ref.id) return nb.cells.findIndex((c) => c.id === ref.id);
  const c = nb.cells[ref.index] as Cell | undefined;
  return c && c.cell_type === 'code' && joinSource(c.source) === ref.source ? ref.index : -1;
}

/** A finished run and the cell it ran (found again by id, or by index and unchanged source). */
interface CellRun {
  ref: { id?: string; index: number; source: string };
  res: ExecuteResult;
}

/** The edits that store runs' outputs and execution counts; cells deleted meanwhile are skipped. */
function outputEdits(nb: Readonly<Notebook>, runs: readonly CellRun[]): CellEdit[] {
  return runs.flatMap(({ ref, res }) => {
    const at = findCell(nb, ref);
    return at < 0 || nb.cells[at].cell_type !== 'code' ? [] : [{ kind: 'outputs' as const, index: at, outputs: res.outputs, executionCount: res.execution_count }];
  });
}

/**
 * Saves the outputs and execution count of a run into the notebook (through the store, so an open
 * editor document gets them too). Returns false when the cell no longer exists.
 */
export async function saveOutputs(ctx: ToolContext, path: string, ref: CellRun['ref'], res: ExecuteResult): Promise<boolean> {
  const edited = await ctx.notebooks.edit(path, (nb) => {
    const edits = outputEdits(nb, [{ ref, res }]);
    return { edits, result: edits.length > 0 };
  });
  if (edited.result) ctx.session.seen.set(edited.relativePath, edited.version);
  return edited.result;
}

/**
 * Saves the outputs of finished cells while the next cells run (execute_notebook): a cell's save
 * no longer waits for the previous one's durable write, and saves queued meanwhile go into one
 * edit. flush() waits for everything and reports the first failure.
 */
export class OutputSaver {
  private queue: CellRun[] = [];
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly ctx: ToolContext, private readonly path: string) {}

  add(ref: CellRun['ref'], res: ExecuteResult): void {
    this.queue.push({ ref, res });
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        const edited = await this.ctx.notebooks.edit(this.path, (nb) => ({ edits: outputEdits(nb, batch), result: undefined }));
        this.ctx.session.seen.set(edited.relativePath, edited.version);
      } catch (e) {
        this.failure ??= e;
      }
    }
    this.running = undefined;
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }
}

/** Where a run's outputs were saved: the notebook cell, so a cut note can name the read_output call. */
export interface SavedCell {
  path: string;
  cell: Cell;
  index: number;
}

/**
 * The outputs for the model, with a hint on where the full text is. Each output's text is capped
 * so that all of them together fit the result budget (they appear once in the structured outputs
 * and once in the text; each client reads one of the two).
 */
export function renderForModel(ctx: ToolContext, res: ExecuteResult, savedIn?: string | SavedCell): RenderedOutputs {
  const budget = Math.floor(ctx.limits.maxResultChars * 0.85) - 2000;
  const perOutput = Math.max(200, Math.floor(budget / Math.max(1, res.outputs.length)));
  return renderOutputs(res.outputs, { maxOutputChars: Math.min(ctx.limits.maxOutputChars, perOutput), maxImageBytes: ctx.limits.maxImageBytes }, {
    moreHint:
      typeof savedIn === 'object'
        ? (i, offset) => `The full output is saved in ${savedIn.path} (cell ${savedIn.index}): read the rest with ${callText(readOutputCall(savedIn.path, savedIn.cell, savedIn.index, i, { offset }))}.`
        : savedIn
          ? `The full output is saved in ${savedIn}: read that cell with read_output, or print less.`
          : 'Print less (a slice, df.head()), or write the data to a file and read parts of it.',
  });
}

/** One line describing a result: status, count, and the time-out / error message. */
export function describeResult(res: ExecuteResult): string {
  const err = res.outputs.find((o) => o.output_type === 'error');
  const parts = [`status ${res.status}`, `execution_count ${res.execution_count ?? 'none'}`, `${res.outputs.length} output${res.outputs.length === 1 ? '' : 's'}`];
  if (err) parts.push(`raised ${String(err.ename)}: ${String(err.evalue)}`);
  return parts.join(', ') + (res.message ? `. ${res.message}` : '');
}
