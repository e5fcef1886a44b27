// What every tool file exports: a ToolDef built with defineTool(). The server registers the list in
// tools/index.ts. Tools see only the ToolContext (NotebookStore, KernelBackend, settings), never
// vscode or the file system directly.
import type { z, ZodRawShape } from 'zod';
import type { NotebookStore } from '../notebooks/store';
import type { ExecuteOptions, ExecuteResult, KernelBackend } from '../kernels/backend';
import type { Logger } from '../util/log';

export interface OutputLimits {
  /** Max characters of text per output returned to the model (the notebook keeps everything). */
  maxOutputChars: number;
  /** Max bytes of one image returned as MCP image content; larger ones become a text note. */
  maxImageBytes: number;
}

export interface ExecutionDefaults {
  /** Default per-call execution time-out in milliseconds. */
  timeoutMs: number;
}

/** State of one MCP session (one client connection); never shared between sessions. */
export interface SessionState {
  /** Notebook path -> version this session last read or wrote (guards write_notebook). */
  seen: Map<string, string>;
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
}

export interface ToolContext {
  notebooks: NotebookStore;
  /** Present in the extension: executes cells of open notebooks in the editor. */
  cellRunner?: CellRunner;
  session: SessionState;
  kernels: KernelBackend;
  limits: OutputLimits;
  execution: ExecutionDefaults;
  log: Logger;
  /**
   * Asked before code runs; returns a reason to refuse (e.g. an untrusted VS Code workspace), or
   * undefined to allow. The standalone server always allows.
   */
  mayRunCode(): string | undefined;
}

/** What the MCP SDK hands a tool call besides its arguments (progress, cancellation). */
export interface ToolCallExtra {
  signal: AbortSignal;
  /** Sends a progress notification when the client asked for them; a no-op otherwise. */
  progress(progress: number, message?: string, total?: number): Promise<void>;
}

export interface TextContent {
  type: 'text';
  text: string;
}
export interface ImageContent {
  type: 'image';
  data: string;
  mimeType: string;
}
export type Content = TextContent | ImageContent;

export interface ToolOutput<S> {
  /** The seed's result fields (and ours): becomes structuredContent. */
  structured: S;
  /** A short line for clients that read text only; the JSON of `structured` follows it. */
  summary: string;
  /** Extra content blocks (images) after the text. */
  extra?: Content[];
  /** Leave the structured JSON out of the text (it is large and already summarised). */
  omitJsonText?: boolean;
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

/** An error whose message is written for the model: it says what went wrong and what to do. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}
