// Shared by the execution tools: the timeout parameter, the output schema, keep-alive progress while
// code runs, choosing the notebook's kernel, and saving a cell's outputs back into the notebook.
// Answering "running" when a run outlasts the call: runAnswers.ts.
import { z } from 'zod';
import type { ExecuteOptions, ExecuteResult, SequenceOptions } from '../kernels/backend';
import { renderOutputs, type RenderedOutputs } from '../kernels/outputs';
import type { Cell, Notebook } from '../notebooks/nbformat';
import type { CellEdit } from '../notebooks/store';
import { joinSource } from '../notebooks/nbformat';
import type { Output } from '../notebooks/nbformat';
import type { LiveOutputs } from '../runs/registry';
import type { ToolCallExtra, ToolContext } from './tool';
import { callText, readOutputCall } from './notebookView';

export const timeoutParam = z
  .number()
  .positive()
  .max(7 * 24 * 3600)
  .optional()
  .describe('Seconds per cell, then interrupt (default: server\'s).');

export const waitParam = z
  .number()
  .min(0)
  .max(3600)
  .optional()
  .describe('Seconds before answering "running" with a run_id (default: within your client\'s limit).');

export const kernelIdParam = z.string().min(1).describe('From start_kernel or list_kernels.');

export const outputsSchema = z
  .array(z.looseObject({ output_type: z.string().describe('stream, execute_result, display_data or error.') }))
  .describe('nbformat outputs as the model sees them: ANSI codes stripped, long text truncated, images replaced by a note (they follow as image content).');

export const statusSchema = z
  .enum(['ok', 'error', 'aborted', 'timeout', 'running'])
  .describe('"ok"; "error" (the code raised); "timeout" (interrupted after the time-out, partial outputs); "aborted" (cancelled, or not run by the kernel); "running" (still running: call wait_for_run with run_id).');

/** Fields a "running" answer adds to an execution tool's result. */
export const runningShape = {
  run_id: z.string().optional().describe('Present while status is "running": pass it to wait_for_run or cancel_run.'),
  next: z.string().optional().describe('The call to make next while the run goes on.'),
  elapsed_seconds: z.number().optional().describe('Seconds since the run started.'),
};

/** Resolves the tool's `timeout` (seconds) against the server default (ms). */
export function timeoutMs(ctx: ToolContext, seconds?: number): number {
  return seconds !== undefined ? Math.round(seconds * 1000) : ctx.execution.timeoutMs;
}

/** The kernelspec a notebook asks for (metadata.kernelspec.name), if any. */
export function notebookKernelName(nb: Readonly<Notebook>): string | undefined {
  const ks = (nb.metadata?.kernelspec ?? undefined) as { name?: unknown } | undefined;
  return typeof ks?.name === 'string' && ks.name ? ks.name : undefined;
}

/**
 * The kernel to use for a notebook: the one given, else the notebook's own (Jupyter session),
 * with the backend's note on where that kernel runs when it is not beside the notebook.
 */
export async function kernelFor(ctx: ToolContext, relativePath: string, nb: Readonly<Notebook>, kernelId?: string): Promise<{ id: string; note?: string }> {
  if (kernelId) return { id: kernelId };
  const k = await ctx.kernels.kernelForNotebook(relativePath, notebookKernelName(nb));
  return { id: k.id, note: k.note };
}

/** A short schema field shared by the notebook execution tools. */
export const noteSchema = z
  .string()
  .optional()
  .describe('Where the kernel runs when that is not beside the notebook (relative paths in cells resolve there); given once.');

/** Runs the code cells of one notebook, through the editor or a kernel backend. */
export interface CellExecutor {
  kernelId: string;
  /** True when the editor writes outputs into the document itself (no saveOutputs needed). */
  writesOutputs: boolean;
  /** Where the kernel runs, when that is not beside the notebook (from the backend, once). */
  note?: string;
  run(cell: { index: number; source: string }, opts: ExecuteOptions): Promise<ExecuteResult>;
  /**
   * Present when the kernel (or the editor) can take the cells' requests all at once
   * (execute_notebook pipelines them). Stops after the first result that is not "ok" unless
   * `continueOnError` and `sequenceContinues`.
   */
  runSequence?(cells: ReadonlyArray<{ index: number; source: string }>, opts: SequenceOptions & { continueOnError?: boolean }): AsyncGenerator<ExecuteResult, void, undefined>;
  /** True when runSequence goes on after a failing cell when asked (the editor's ranges; a Jupyter sequence does not). */
  sequenceContinues?: boolean;
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
      // One editor request for the whole run of cells instead of one per cell.
      ...(runner.runCells
        ? {
            sequenceContinues: true,
            runSequence: async function* (cells, opts) {
              for await (const r of runner.runCells!(relativePath, cells.map((c) => c.index), opts)) {
                id = r.kernel_id;
                yield r;
              }
            },
          }
        : {}),
    };
  }
  const { id, note } = await kernelFor(ctx, relativePath, nb, kernelId);
  const kernels = ctx.kernels;
  return {
    kernelId: id,
    writesOutputs: false,
    ...(note ? { note } : {}),
    run: (cell, opts) => kernels.execute(id, cell.source, opts),
    ...(kernels.executeSequence ? { runSequence: (cells, opts) => kernels.executeSequence!(id, cells.map((c) => c.source), opts) } : {}),
  };
}

export interface ProgressSpan {
  /** Progress value at the start of this run; heartbeats stay below `base + 1`. */
  base: number;
  total?: number;
  label: string;
  /** Also told of each output as it arrives (the run's live view, live saves). */
  watch?: (output: Output, count: number) => void;
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
      onOutput: (o, count) => {
        outputs = count;
        span.watch?.(o, count);
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

/** Least time between two saves of one run's outputs (the first and the last are not held back). */
export const SAVE_GAP_MS = 200;

/**
 * Saves the outputs of finished cells while the next cells run (execute_notebook): a cell's save
 * does not wait for the previous one's durable write, and saves are coalesced: at most one every
 * SAVE_GAP_MS, the cells finished meanwhile going into one edit. A notebook of 200 quick cells was
 * saved after nearly every cell, each save a durable rewrite whose system calls took the CPU the
 * kernel and Jupyter needed on a two-core machine. flush() saves what waits at once, waits for
 * everything and reports the first failure.
 */
export class OutputSaver {
  private queue: CellRun[] = [];
  private running: Promise<void> | undefined;
  private failure: unknown;
  private lastSave = -Infinity;
  private flushing = false;
  /** Ends the wait for the gap early (flush). */
  private wake: (() => void) | undefined;

  constructor(private readonly ctx: ToolContext, private readonly path: string) {}

  add(ref: CellRun['ref'], res: ExecuteResult): void {
    this.queue.push({ ref, res });
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const wait = this.lastSave + SAVE_GAP_MS - performance.now();
      if (wait > 0 && !this.flushing) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
      const batch = this.queue.splice(0);
      this.lastSave = performance.now();
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
    this.flushing = true;
    this.wake?.();
    try {
      while (this.running) await this.running;
    } finally {
      this.flushing = false;
    }
    if (this.failure) throw this.failure;
  }
}

/** Where a run's outputs were saved: the notebook cell, so a cut note can name the read_output call. */
export interface SavedCell {
  path: string;
  cell: Cell;
  index: number;
  /** Index in the cell's outputs of the first output rendered (a run's later look skips those seen). */
  outputOffset?: number;
}

/** The least characters of text an output is shown with (its head and tail). */
const MIN_OUTPUT_CHARS = 200;
/** What a cut output adds to its text: the cut note with its read_output call, its JSON. */
const PER_OUTPUT_OVERHEAD = 400;

/**
 * The outputs for the model, with a hint on where the full text is. Each output's text is capped
 * so that all of them together fit the result budget (they appear once in the structured outputs
 * and once in the text; each client reads one of the two). More outputs than the budget can show
 * even that short (a loop of displays) keep their first and last ones; an entry in their place
 * says how many were left out and where they are.
 */
export function renderForModel(
  ctx: ToolContext,
  res: ExecuteResult,
  savedIn?: string | SavedCell,
  /** The exact hint for output i when known (a run's outputs span several cells); else the default. */
  hintFor?: (outputIndex: number, offset: number) => string | undefined,
): RenderedOutputs {
  const budget = Math.floor(ctx.limits.maxResultChars * 0.85) - 2000;
  const hint = (i: number, offset: number): string =>
    (typeof savedIn !== 'object' ? hintFor?.(i, offset) : undefined) ??
    (typeof savedIn === 'object'
      ? `The full output is saved in ${savedIn.path} (cell ${savedIn.index}): read the rest with ${callText(readOutputCall(savedIn.path, savedIn.cell, savedIn.index, (savedIn.outputOffset ?? 0) + i, { offset }))}.`
      : savedIn
        ? `The full output is saved in ${savedIn}: read that cell with read_output, or print less.`
        : 'Print less (a slice, df.head()), or write the data to a file and read parts of it.');
  const shown = Math.max(2, Math.floor(budget / (MIN_OUTPUT_CHARS + PER_OUTPUT_OVERHEAD)));
  const all = res.outputs;
  const render = (outputs: readonly Output[], from: number, count: number) =>
    renderOutputs(outputs, { maxOutputChars: Math.min(ctx.limits.maxOutputChars, Math.max(MIN_OUTPUT_CHARS, Math.floor(budget / Math.max(1, count)) - PER_OUTPUT_OVERHEAD)), maxImageBytes: ctx.limits.maxImageBytes }, {
      moreHint: (i, offset) => hint(from + i, offset),
    });
  if (all.length <= shown) return render(all, 0, all.length);
  const headN = Math.ceil(shown / 2);
  const tailFrom = all.length - (shown - headN);
  const head = render(all.slice(0, headN), 0, shown);
  const tail = render(all.slice(tailFrom), tailFrom, shown);
  const left = tailFrom - headN;
  const where =
    typeof savedIn === 'object'
      ? `they are saved in ${savedIn.path} (cell ${savedIn.index}): read each with ${callText(readOutputCall(savedIn.path, savedIn.cell, savedIn.index, (savedIn.outputOffset ?? 0) + headN))}, output_index ${(savedIn.outputOffset ?? 0) + headN} to ${(savedIn.outputOffset ?? 0) + tailFrom - 1}`
      : savedIn
        ? `they are saved in ${savedIn}: read them with read_output`
        : 'print less, or write the data to a file and read parts of it';
  const note = `${left} outputs (${headN} to ${tailFrom - 1}) left out to fit one result; ${where}.`;
  return {
    outputs: [...head.outputs, { output_type: 'left_out', count: left, note } as Output, ...tail.outputs],
    text: `${head.text}\n[${note}]\n${tail.text}`,
    images: [...head.images, ...tail.images],
  };
}

/** One line describing a result: status, count, and the time-out / error message. */
export function describeResult(res: ExecuteResult): string {
  const err = res.outputs.find((o) => o.output_type === 'error');
  const parts = [`status ${res.status}`, `execution_count ${res.execution_count ?? 'none'}`, `${res.outputs.length} output${res.outputs.length === 1 ? '' : 's'}`];
  if (err) parts.push(`raised ${String(err.ename)}: ${String(err.evalue)}`);
  return parts.join(', ') + (res.message ? `. ${res.message}` : '');
}

/**
 * Saves the outputs of a cell while it runs, at most every `everyMs`, so a person watching the
 * notebook (in the editor, or JupyterLab reloading it) sees a long cell progress, and a crash
 * leaves what ran on disk. Goes through the run's OutputSaver so a live save never lands after the
 * cell's final one. Cells shorter than `everyMs` cost no extra write.
 */
export class LiveSave {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly saver: OutputSaver,
    private readonly ref: CellRun['ref'],
    private readonly live: LiveOutputs,
    private readonly everyMs = 1000,
  ) {}

  changed(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // execution_count stays empty until the cell ends, as Jupyter shows a running cell.
      if (!this.stopped) this.saver.add(this.ref, { status: 'ok', execution_count: null, outputs: this.live.snapshot() });
    }, this.everyMs);
    this.timer.unref();
  }

  /** No more live saves (the cell ended; its final outputs are saved next). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Hands the results of a pipelined sequence to a loop that runs "one cell at a time": `next(k,
 * onOutput)` gives cell k's result, and the outputs of cell k go to the onOutput given for k (kept
 * until then: the kernel may already be printing cell k+1 while cell k's result is handled).
 */
export class SequenceReader {
  private readonly handlers = new Map<number, NonNullable<ExecuteOptions['onOutput']>>();
  private readonly early = new Map<number, Array<[Output, number]>>();

  constructor(private readonly seq: AsyncGenerator<ExecuteResult, void, undefined>) {}

  /** For SequenceOptions.onOutput. */
  readonly onOutput = (cell: number, o: Output, n: number): void => {
    const h = this.handlers.get(cell);
    if (h) h(o, n);
    else this.early.set(cell, [...(this.early.get(cell) ?? []), [o, n]]);
  };

  async next(cell: number, onOutput?: ExecuteOptions['onOutput']): Promise<ExecuteResult> {
    if (onOutput) {
      this.handlers.set(cell, onOutput);
      for (const [o, n] of this.early.get(cell) ?? []) onOutput(o, n);
    }
    this.early.delete(cell);
    const r = await this.seq.next();
    this.handlers.delete(cell);
    if (r.done) throw new Error(`the kernel sequence ended before cell ${cell + 1}`);
    return r.value;
  }

  /** Ends the sequence (the kernel skips the cells not run; the kernel is free for the next call). */
  async close(): Promise<void> {
    await this.seq.return(undefined);
  }
}
