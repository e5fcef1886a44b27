// What every tool file exports: a ToolDef built with defineTool(). The server registers the list in
// tools/index.ts. Tools see only the ToolContext (NotebookStore, KernelBackend, settings), never
// vscode or the file system directly.
import type { z, ZodRawShape } from 'zod';
import type { NotebookStore } from '../notebooks/store';
import type { ExecuteOptions, ExecuteResult, KernelBackend, SequenceOptions } from '../kernels/backend';
import type { Logger } from '../util/log';
import type { RunRegistry } from '../runs/registry';
import type { OutputLimits } from '../common/content';
import type { AgentChanges } from '../agents/changes';
import type { ToolCallExtra, ToolOutput } from '../common/toolCall';

// The content types, limits, ToolError and a call's extra and output live below tools/ (the
// stores, kernels and runs use them too); tool files keep importing them from here.
export type { Content, ImageContent, OutputLimits, ResourceLinkContent, ResultShape, TextContent } from '../common/content';
export { resultSize } from '../common/content';
export { ToolError } from '../common/errors';
export type { ToolCallExtra, ToolOutput } from '../common/toolCall';

export interface ExecutionDefaults {
  /** Default per-call execution time-out in milliseconds. */
  timeoutMs: number;
  /**
   * Longest wait of an execution tool before it answers "running" with a run id (--max-wait);
   * default 300 s. Per-client defaults below it: src/runs/waits.ts.
   */
  maxWaitMs?: number;
}

/** What one session saw of one notebook's cells: cell id → print of its source, index → cell id. */
export interface SeenCells {
  prints: Map<string, string>;
  at: Map<number, string>;
}

/** State of one MCP session (one client connection); never shared between sessions. */
export interface SessionState {
  /** Notebook path -> version this session last read or wrote (guards write_notebook). */
  seen: Map<string, string>;
  /** Notebook path -> the cells this session last read or wrote (guards cell edits: tools/cellGuard.ts). */
  cells?: Map<string, SeenCells>;
  /** The MCP client's clientInfo.name from initialize (e.g. "claude-code", "Visual Studio Code"). */
  clientName?: () => string | undefined;
}

/**
 * Runs cells of a notebook open in the editor through the editor's own kernel (VS Code's
 * notebook.cell.execute), so the person watches the outputs appear and the outputs land in the
 * document by the editor's own means. Only the extension provides one.
 */
export interface CellRunner {
  /** True when the notebook is open in the editor with a kernel able to run it without asking the user. */
  serves(relativePath: string): Promise<boolean>;
  /** Runs one cell (by index) and waits for it to finish; outputs in nbformat form. */
  runCell(relativePath: string, index: number, opts: ExecuteOptions): Promise<ExecuteResult & { kernel_id: string }>;
  /**
   * Optional: runs several code cells (by index, in order) with one editor request, so the editor
   * queues them all at once. Yields each cell's result in order and stops after the first one that
   * is not "ok", unless `continueOnError` (then every cell gets a result).
   */
  runCells?(relativePath: string, indices: readonly number[], opts: RangeOptions): AsyncGenerator<ExecuteResult & { kernel_id: string }, void, undefined>;
}

/** Options of CellRunner.runCells: a kernel sequence's, and whether to go on after a failing cell. */
export interface RangeOptions extends SequenceOptions {
  continueOnError?: boolean;
}

export interface ToolContext {
  notebooks: NotebookStore;
  /** What agents changed in which notebook, with checkpoints (list, revert); absent: not recorded. */
  agents?: AgentChanges;
  /** Present in the extension: executes cells of open notebooks in the editor. */
  cellRunner?: CellRunner;
  session: SessionState;
  kernels: KernelBackend;
  /** Runs of this server (outlive sessions); default: one registry per kernel backend. */
  runs?: RunRegistry;
  limits: OutputLimits;
  execution: ExecutionDefaults;
  log: Logger;
  /**
   * Asked before code runs; returns a reason to refuse (e.g. an untrusted VS Code workspace), or
   * undefined to allow. The standalone server always allows.
   */
  mayRunCode(): string | undefined;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDef<I extends ZodRawShape = ZodRawShape, O extends ZodRawShape = ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  /** True for tools that run code (refused in untrusted workspaces). */
  runsCode?: boolean;
  /**
   * True for tools that start or change a kernel (start, stop, restart, interrupt): refused in
   * untrusted workspaces like code-running tools, since a kernel is a process that runs code.
   */
  kernelTool?: boolean;
  handler(
    args: z.infer<z.ZodObject<I>>,
    ctx: ToolContext,
    extra: ToolCallExtra,
  ): Promise<ToolOutput<z.infer<z.ZodObject<O>>>>;
}

export function defineTool<I extends ZodRawShape, O extends ZodRawShape>(def: ToolDef<I, O>): ToolDef<I, O> {
  return def;
}
