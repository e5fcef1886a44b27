// What a tool call is handed besides its arguments, and what it answers. Below tools/ because the
// run registry (src/runs/) keeps a run's answer and hands the code it runs a call's progress and
// cancellation, and nothing in runs/ imports tools/. tools/tool.ts re-exports both.
import type { Content } from './content';

/** What the MCP SDK hands a tool call besides its arguments (progress, cancellation). */
export interface ToolCallExtra {
  signal: AbortSignal;
  /** Sends a progress notification when the client asked for them; a no-op otherwise. */
  progress(progress: number, message?: string, total?: number): Promise<void>;
  /** Set for an MCP Task: an execution tool waits for the end of its run (no "running" answer). */
  untilDone?: boolean;
}

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
