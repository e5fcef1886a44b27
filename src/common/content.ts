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
   * The character budget of what the model reads from one tool result, in every client's view
   * (the structuredContent JSON for VS Code and Claude Code, the text for Roo Code and Cline).
   * Tools fit their default results under it and say how to get the rest; the server cuts what
   * still does not fit, saying so. Default 40,000 (≈ 10,000 tokens): Claude Code hands its model
   * only a 2 KB preview of results over ≈ 50,000 characters.
   */
  maxResultChars: number;
  /** How results are shaped for the client (see src/server/resultShape.ts); default "auto". */
  resultShape?: ResultShape;
}

/**
 * "structured": structuredContent (the model's view in VS Code and Claude Code) plus a text that
 * says the same for text-only clients. "text": no structuredContent and no output schemas, only
 * text and images. "auto": picked from the client's clientInfo at initialize.
 */
export type ResultShape = 'auto' | 'structured' | 'text';
