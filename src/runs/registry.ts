// Runs: executions that outlive the tool call that started them. A client gives up on a call long
// before a real notebook finishes (Inspector and Cline after 60 s, Roo after its `timeout`), so an
// execution tool waits `wait_seconds` at most, then answers "running" with a run id; the code goes
// on in the kernel and wait_for_run / cancel_run / list_runs reach it from any MCP session. The
// registry belongs to the server process, not to a session: a run started in one session can be
// followed from another, and is forgotten FORGET_AFTER_MS after it ends.
import { randomBytes } from 'crypto';
import type { Output } from '../notebooks/nbformat';
import type { ToolCallExtra, ToolOutput } from '../common/toolCall';
import { RunTaskStore } from './tasks';

/** How long a finished run stays reachable (wait_for_run, list_runs) after it ended. */
export const FORGET_AFTER_MS = 30 * 60_000;

/** Finished runs kept at most (their results hold outputs, images included). */
export const MAX_FINISHED = 100;

export type RunTool = 'execute_cell' | 'execute_notebook_cell' | 'execute_notebook';

/** What a run is about, for list_runs and the "running" answers. */
export interface RunInfo {
  tool: RunTool;
  kernelId?: string;
  path?: string;
  /** Number of code cells a notebook run goes through. */
  total?: number;
}

/** Outputs of the cell running now, rebuilt from the backend's onOutput(changed, count) calls. */
export class LiveOutputs {
  readonly list: Output[] = [];

  /** `changed` is the backend's own output object (stream chunks are merged into it in place). */
  update(changed: Output, count: number): void {
    if (!this.list.includes(changed)) {
      // A new output; when the count did not grow by one, the kernel cleared the outputs first.
      this.list.length = Math.min(this.list.length, Math.max(0, count - 1));
      this.list.push(changed);
    }
  }

  /** Copies, so that a save or a look is not changed by later chunks. */
  snapshot(): Output[] {
    return this.list.map((o) => ({ ...o }));
  }
}

/** A cell's outputs not yet returned to the model, and how many of them it already saw. */
export interface Unseen {
  outputs: Output[];
  /** Outputs (of this cell) returned by earlier looks and left out now. */
  earlier: number;
  /** The first output is the rest of a stream an earlier look returned the beginning of. */
  continued: boolean;
  /** When continued: characters of that stream an earlier look returned (where the rest starts). */
  continuedAt?: number;
}

/** Where the model's last look stopped in one cell's outputs. */
class LookCursor {
  private count = 0;
  /** Text of the last output returned, when it was a stream (more text may be appended to it). */
  private lastStream: string | undefined;

  /** The outputs after the cursor, and moves the cursor past them. */
  take(outputs: readonly Output[]): Unseen {
    const out: Output[] = [];
    let earlier = 0;
    let continued = false;
    let continuedAt: number | undefined;
    if (outputs.length >= this.count) {
      earlier = this.count;
      const grown = this.count > 0 && this.lastStream !== undefined ? outputs[this.count - 1] : undefined;
      if (grown?.output_type === 'stream' && String(grown.text ?? '') !== this.lastStream) {
        // The last output seen was a stream that grew since: return only what was added (all of
        // it when a carriage return rewrote the line that was seen).
        const text = String(grown.text ?? '');
        const seen = this.lastStream ?? '';
        continued = text.startsWith(seen);
        if (continued) continuedAt = seen.length;
        out.push({ ...grown, text: continued ? text.slice(seen.length) : text });
        earlier--;
      }
      for (const o of outputs.slice(this.count)) out.push({ ...o });
    } else {
      // Fewer outputs than last time: the code cleared them (clear_output), so all are new.
      for (const o of outputs) out.push({ ...o });
    }
    this.count = outputs.length;
    const last = outputs[outputs.length - 1];
    this.lastStream = last?.output_type === 'stream' ? String(last.text ?? '') : undefined;
    return { outputs: out, earlier, continued, ...(continuedAt !== undefined ? { continuedAt } : {}) };
  }
}

/** Handed to the code a run executes: progress and cancellation as a tool call has, plus the live view. */
/** A note for a final answer that leaves out what earlier "running" answers returned. */
export function unseenNote(u: Unseen, savedIn?: string): string {
  if (!u.earlier && !u.continued) return '';
  return ` (only what came after the last "running" answer is shown here${savedIn ? `; all outputs are saved in ${savedIn}` : ''})`;
}

export interface RunControl extends ToolCallExtra {
  readonly run: Run;
}

/** A cell of a notebook run whose outputs the model has not seen in full yet. */
interface CellView {
  index?: number;
  id?: string;
  outputs: LiveOutputs;
  cursor: LookCursor;
  finished: boolean;
}

type ProgressListener = (progress: number, message?: string, total?: number) => void;

export class Run {
  readonly id: string;
  readonly startedAt = Date.now();
  endedAt: number | undefined;
  /** The answer the tool gives when the run is over (an isError answer if `failure` is set). */
  final: ToolOutput<Record<string, unknown>> | undefined;
  failure: Error | undefined;
  /** Code cells finished (notebook runs) and the one running now. */
  executed = 0;
  current: { index?: number; id?: string } | undefined;
  /** Set by cancel_run or by the starting call's cancellation. */
  cancelled = false;
  readonly done: Promise<void>;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<ProgressListener>();
  private lastProgress: { progress: number; message?: string; total?: number } | undefined;
  /** Cells whose outputs the model has not fully seen, oldest first; the last one may be running. */
  private views: CellView[] = [];
  private resolveDone!: () => void;

  constructor(readonly info: RunInfo) {
    this.id = `run-${randomBytes(5).toString('hex')}`;
    this.done = new Promise<void>((r) => (this.resolveDone = r));
  }

  get running(): boolean {
    return this.endedAt === undefined;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Interrupts the run (the backend interrupts the kernel; a notebook run stops before its next cell). */
  cancel(): void {
    if (!this.running) return;
    this.cancelled = true;
    this.abort.abort();
  }

  // ---- what the executing code reports --------------------------------------------------------

  /** A cell starts: its outputs are followed from now on (notebook runs call it per cell). */
  cellStarted(cell: { index?: number; id?: string } = {}): LiveOutputs {
    this.current = cell;
    const outputs = new LiveOutputs();
    this.views.push({ ...cell, outputs, cursor: new LookCursor(), finished: false });
    return outputs;
  }

  /** The cell running now ended with these outputs (final list, replacing the live one). */
  cellEnded(outputs: readonly Output[]): void {
    const v = this.views[this.views.length - 1];
    if (v) {
      v.outputs.list.length = 0;
      v.outputs.list.push(...outputs);
      v.finished = true;
    }
    this.executed++;
  }

  /**
   * The outputs of the last cell the model has not seen yet (for the final answer of a one-cell
   * run). Call it synchronously right before returning the answer so no look can come between.
   */
  unseenOfLastCell(outputs: readonly Output[]): Unseen {
    const v = this.views[this.views.length - 1];
    const unseen = v ? v.cursor.take(outputs) : { outputs: [...outputs], earlier: 0, continued: false };
    this.views = [];
    return unseen;
  }

  /** Outputs since the last look, across the cells that produced them; moves the look cursor. */
  takeUnseen(): Array<{ index?: number; id?: string; unseen: Unseen }> {
    const out = this.views.map((v) => ({ index: v.index, id: v.id, unseen: v.cursor.take(v.outputs.list) }));
    // Finished cells are now fully seen; the running one stays (more outputs will come).
    this.views = this.views.filter((v) => !v.finished);
    return out.filter((c) => c.unseen.outputs.length > 0);
  }

  // ---- progress, relayed to whichever call is waiting on the run --------------------------------

  progress(progress: number, message?: string, total?: number): void {
    this.lastProgress = { progress, message, total };
    for (const l of this.listeners) l(progress, message, total);
  }

  /** Relays the run's progress to a waiting call; returns the function that stops relaying. */
  follow(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    if (this.lastProgress) listener(this.lastProgress.progress, this.lastProgress.message, this.lastProgress.total);
    return () => this.listeners.delete(listener);
  }

  get progressMessage(): string | undefined {
    return this.lastProgress?.message;
  }

  finish(final: ToolOutput<Record<string, unknown>> | undefined, failure?: Error): void {
    if (!this.running) return;
    this.final = final;
    this.failure = failure;
    this.endedAt = Date.now();
    this.current = undefined;
    this.listeners.clear();
    this.resolveDone();
  }

  /**
   * Waits until the run ends, `ms` pass, or `signal` aborts; true when it ended. The timer never
   * outlives the wait.
   */
  async wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (!this.running) return true;
    if (ms <= 0 || signal?.aborted) return false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        this.done.then(() => true),
        new Promise<boolean>((r) => {
          // Infinity: until the run ends (a task); setTimeout would take it as 1 ms.
          if (Number.isFinite(ms)) timer = setTimeout(() => r(false), ms);
          onAbort = () => r(false);
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}

export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  /** Each finished run's forget timer, cleared when the run goes sooner (forget, MAX_FINISHED). */
  private readonly forgetTimers = new Map<string, NodeJS.Timeout>();
  /** MCP Tasks of every session of this server, each backed by a run. */
  readonly tasks = new RunTaskStore();

  constructor(private readonly forgetAfterMs = FORGET_AFTER_MS) {}

  /**
   * Starts `body` as a run: it executes with the run's own cancellation (not the calling
   * request's) and its answer is kept for whoever looks next.
   */
  start(info: RunInfo, body: (ctl: RunControl) => Promise<ToolOutput<Record<string, unknown>>>): Run {
    const run = new Run(info);
    this.runs.set(run.id, run);
    const ctl: RunControl = {
      run,
      signal: run.signal,
      progress: async (p, message, total) => run.progress(p, message, total),
    };
    void Promise.resolve()
      .then(() => body(ctl))
      .then(
        (final) => run.finish(final),
        (e) => run.finish(undefined, e instanceof Error ? e : new Error(String(e))),
      )
      .finally(() => {
        // Memory stays bounded however many runs end unread: the oldest finished ones go first.
        const finished = [...this.runs.values()].filter((r) => !r.running);
        for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) this.drop(old.id);
        if (this.runs.get(run.id) === run) this.forgetLater(run.id);
      });
    return run;
  }

  /**
   * Forgets a finished run after forgetAfterMs. Its own method, so the timer's closure holds the
   * id only: one made inside start() would keep the run, its outputs and images included, alive
   * for half an hour after it was dropped (seen as 900 runs kept by timers in a soak).
   */
  private forgetLater(id: string): void {
    this.forgetTimers.set(id, setTimeout(() => this.drop(id), this.forgetAfterMs).unref());
  }

  private drop(id: string): void {
    this.runs.delete(id);
    clearTimeout(this.forgetTimers.get(id));
    this.forgetTimers.delete(id);
  }

  /** Drops a finished run at once (its answer was given to the call that started it). */
  forget(id: string): void {
    const r = this.runs.get(id);
    if (r && !r.running) this.drop(id);
  }

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  /** Runs in progress first, then the finished ones still remembered, newest first. */
  list(): Run[] {
    return [...this.runs.values()].sort((a, b) => Number(b.running) - Number(a.running) || b.startedAt - a.startedAt);
  }

  /** Interrupts every run in progress (the server is stopping). */
  cancelAll(): void {
    for (const r of this.runs.values()) r.cancel();
  }
}

/**
 * The registry of a server: one per kernel backend, which every session of a server shares (the
 * session contexts are copies of one context). A context can also bring its own (`ctx.runs`).
 * Only the backend's identity is used (a ToolContext fits; runs/ does not import tools/).
 */
const registries = new WeakMap<object, RunRegistry>();
export function runRegistry(ctx: { kernels: object; runs?: RunRegistry }): RunRegistry {
  if (ctx.runs) return ctx.runs;
  let r = registries.get(ctx.kernels);
  if (!r) {
    r = new RunRegistry();
    registries.set(ctx.kernels, r);
  }
  return r;
}
