// What a tool result is made of, and the limits that shape it for the model. Shared by the tools,
// the kernels' output rendering and the server (no imports: every layer may use it).

export interface TextContent {
  type: 'text';
  text: string;
}
export interface ImageContent {
  type: 'image';
  data: string;
  mimeType: string;
}
/**
 * A link to a resource of this server (a plot saved in a notebook: notebook:///…/outputs/0.png).
 * VS Code shows it in the tool's output for the person to open; audience "user" keeps VS Code from
 * also reading an image link into the model's context (src/tools/plotLinks.ts).
 */
export interface ResourceLinkContent {
  type: 'resource_link';
  uri: string;
  name: string;
  mimeType?: string;
  annotations?: { audience?: Array<'user' | 'assistant'> };
}
export type Content = TextContent | ImageContent | ResourceLinkContent;

export interface OutputLimits {
  /** Max characters of text per output returned to the model (the notebook keeps everything). */
  maxOutputChars: number;
  /** Max bytes of one image returned as MCP image content; larger ones are downscaled to fit. */
  maxImageBytes: number;
  /**
   * What the model may read from one tool result, in UTF-8 bytes (resultSize) of what its client
   * measures: never fewer than the characters the clients count.
   * In a tool's context: this session's budget, from its client (src/server/clientBudgets.ts: VS
   * Code 8,000, Cline 8,000 of the whole result's JSON, others 40,000). Tools fit their default
   * results under it and say how to get the rest; the server cuts what still does not fit, saying
   * so. In the server's shared limits: the budget of clients outside that table, or of every
   * client when `maxResultCharsSet`.
   */
  maxResultChars: number;
  /** True when the budget was set explicitly (--max-result-chars, jupyterMcp.maxResultChars): every client gets maxResultChars. */
  maxResultCharsSet?: boolean;
  /** How results are shaped for the client (resolveShape in src/server/mcpServer.ts); default "auto". */
  resultShape?: ResultShape;
}

/**
 * The size of a text against a result budget: its UTF-8 bytes. Clients count characters (UTF-16
 * code units; Copilot too, despite its setting's name "thresholdBytes"), which are never more, so a
 * result within the budget in bytes is within it whatever the client counts, should one count bytes.
 */
export function resultSize(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * "structured": structuredContent (the model's view in VS Code and Claude Code) plus a text that
 * says the same for text-only clients. "text": no structuredContent and no output schemas, only
 * text and images. "auto": picked from the client's clientInfo at initialize.
 */
export type ResultShape = 'auto' | 'structured' | 'text';
