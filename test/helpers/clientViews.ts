// What each MCP client hands its MODEL from one tool result, per /work/shared/docs/CLIENTS.md
// (sources: microsoft/vscode mcpLanguageModelToolContribution.ts; anthropics/claude-code #55677,
// #79944, #86032, #54737; Roo Code UseMcpToolTool.ts):
// - VS Code (Copilot agent) and Claude Code: when structuredContent is present, the text blocks are
//   replaced by JSON.stringify(structuredContent); image blocks are kept. On isError, text only.
// - Roo Code and Cline: the text blocks; structuredContent is ignored; images kept.
// - Claude Code before 2.1.197 also dropped image blocks beside structuredContent (#54737).
// Tests and the bench use this to check what a model actually reads, not what the server sent.

export type ClientName = 'vscode' | 'claude-code' | 'roo' | 'cline';
export const CLIENTS: readonly ClientName[] = ['vscode', 'claude-code', 'roo', 'cline'];

export interface ResultLike {
  content?: Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
  structuredContent?: unknown;
  isError?: boolean;
}

export interface ModelView {
  /** The text the model reads (one string; blocks joined by a newline). */
  text: string;
  /** Image blocks the model sees. */
  images: Array<{ data: string; mimeType: string }>;
  /** Characters of text the model reads (the budget applies to this). */
  chars: number;
  /** Rough token count (chars / 4), as the issue measures. */
  tokens: number;
}

export function modelView(result: ResultLike, client: ClientName, opts: { oldClaudeCode?: boolean } = {}): ModelView {
  const content = result.content ?? [];
  const texts = content.filter((c) => c.type === 'text').map((c) => c.text ?? '');
  let images = content.filter((c) => c.type === 'image').map((c) => ({ data: c.data ?? '', mimeType: c.mimeType ?? '' }));
  let text: string;
  const structuredWins = (client === 'vscode' || client === 'claude-code') && !result.isError && result.structuredContent !== undefined;
  if (structuredWins) {
    text = JSON.stringify(result.structuredContent);
    if (client === 'claude-code' && opts.oldClaudeCode) images = [];
  } else {
    text = texts.join('\n');
  }
  return { text, images, chars: text.length, tokens: Math.round(text.length / 4) };
}

/** Every client's view of one result. */
export function allViews(result: ResultLike): Record<ClientName, ModelView> {
  return Object.fromEntries(CLIENTS.map((c) => [c, modelView(result, c)])) as Record<ClientName, ModelView>;
}

// A run of base64 long enough to be an encoded image or binary, not a word or an id: 200+
// characters of the base64 alphabet with no space.
const BASE64_RUN = /[A-Za-z0-9+/]{200,}={0,2}/;

/** The first base64-looking run in a text, or undefined. */
export function findBase64(text: string): string | undefined {
  const m = BASE64_RUN.exec(text);
  return m ? m[0].slice(0, 60) + '…' : undefined;
}
