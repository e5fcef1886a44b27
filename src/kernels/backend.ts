// The KernelBackend seam. Kernel tools see only this interface. Implementations: the Jupyter
// server backend (@jupyterlab/services), the offline backend (clear errors), and the editor
// backend (kernels of open VS Code notebooks). A router composes them.
import type { Output } from '../notebooks/nbformat';

export interface KernelSpecInfo {
  name: string;
  display_name: string;
  language: string;
  /** Which backend offers it: 'jupyter' (remote/local Jupyter server) or 'editor'. */
  backend: string;
}

export interface ActiveKernelInfo {
  id: string;
  name: string;
  /** idle | busy | starting | restarting | dead | unknown */
  state: string;
  last_activity?: string;
  connections?: number;
  /** Workspace-relative notebook path the kernel serves, if any. */
  notebook?: string;
  backend: string;
  /**
   * From kernelForNotebook, once per kernel: where the kernel runs when that is not beside the
   * notebook (relative paths in cells resolve there). For the model.
   */
  note?: string;
}

export interface ExecuteOptions {
  /** Milliseconds; on expiry the kernel is interrupted and the partial outputs returned. */
  timeoutMs: number;
  /** Aborting interrupts the kernel (MCP cancellation). */
  signal?: AbortSignal;
  /** Called as outputs arrive (for progress notifications). */
  onOutput?: (output: Output, count: number) => void;
}

export interface ExecuteResult {
  status: 'ok' | 'error' | 'aborted' | 'timeout';
  execution_count: number | null;
  /** nbformat outputs, stream chunks merged, display updates applied, no transient fields. */
  outputs: Output[];
  /** Human sentence when status is not ok (time-out, interrupted, connection lost). */
  message?: string;
}

/** Options of a pipelined run of several cells (KernelBackend.executeSequence). */
export interface SequenceOptions {
  /** Per cell, counted from the end of the previous one. */
  timeoutMs: number;
  /** Aborting interrupts the kernel; the cells after the running one are not run. */
  signal?: AbortSignal;
  /** Called as outputs arrive, with the position of the cell in the sequence. */
  onOutput?: (cell: number, output: Output, count: number) => void;
}

/**
 * Options of the quiet requests (kernel inspection): requests that leave no trace in the kernel
 * (no execution count, no history, no output, no new name) and never wait behind someone's run.
 */
export interface QuietOptions {
  /** The whole request, in ms. Past it, a request the kernel started on is interrupted. */
  timeoutMs: number;
  /**
   * How long the kernel may take to start on the request while it is busy with something else;
   * then the answer is a KernelError "busy" (the request stays queued in the kernel and runs,
   * without trace, when the kernel is free). Default 2000.
   */
  startMs?: number;
  signal?: AbortSignal;
}

/** A kernel's inspect_reply: what it knows about the name at the cursor (a MIME bundle). */
export interface InspectReply {
  found: boolean;
  data: Record<string, unknown>;
}

/** A kernel's complete_reply. */
export interface CompleteReply {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
}

export interface KernelBackend {
  readonly name: string;
  listKernels(): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }>;
  startKernel(kernelName?: string): Promise<ActiveKernelInfo>;
  stopKernel(kernelId: string): Promise<void>;
  interruptKernel(kernelId: string): Promise<void>;
  restartKernel(kernelId: string): Promise<void>;
  execute(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult>;
  /**
   * Optional: runs cells one after the other with every request sent ahead, so the kernel never
   * waits for a round trip between cells. Yields each cell's result in order and stops after the
   * first one that is not "ok" (the kernel does not run the rest).
   */
  executeSequence?(kernelId: string, codes: readonly string[], opts: SequenceOptions): AsyncGenerator<ExecuteResult, void, undefined>;
  /**
   * The kernel that serves a notebook (a Jupyter session for its path): reuses the existing one,
   * else starts one from `kernelName` (the notebook's kernelspec).
   */
  kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo>;
  /** Whether this backend owns the kernel id (routers ask before dispatching). */
  hasKernel(kernelId: string): Promise<boolean>;
  // ---- quiet requests (kernel inspection); optional where a backend cannot ----------------------
  /** The kernel's language, lower case ("python", "r"), without waiting behind a running cell. */
  kernelLanguage?(kernelId: string): Promise<string>;
  /**
   * Evaluates one expression in the kernel's language without trace (Jupyter: a silent
   * execute_request whose user_expressions carry it) and returns its value's MIME bundle.
   * Throws KernelError "busy" when the kernel is running something else.
   */
  evaluateSilently?(kernelId: string, expression: string, opts: QuietOptions): Promise<Record<string, unknown>>;
  /** Jupyter's inspect_request: runs no code of the agent's. `cursorPos` in Unicode code points. */
  inspect?(kernelId: string, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply>;
  /** Jupyter's complete_request: runs no code of the agent's. */
  complete?(kernelId: string, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply>;
  dispose(): Promise<void>;
}

/** A kernel problem a person or model can act on. The message names the fix. */
export class KernelError extends Error {
  constructor(message: string, readonly code: KernelErrorCode = 'kernel') {
    super(message);
    this.name = 'KernelError';
  }
}

export type KernelErrorCode =
  | 'offline'
  | 'not-configured'
  | 'connection'
  | 'auth'
  | 'not-found'
  | 'unknown-spec'
  | 'dead'
  | 'busy'
  | 'unsupported'
  | 'kernel';
