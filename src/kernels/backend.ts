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
  | 'kernel';
