// What each MCP client hands its MODEL from one tool result, per /work/shared/docs/CLIENTS.md and
// the clients' own code:
// - VS Code (Copilot agent): when structuredContent is present, the text blocks are replaced by
//   JSON.stringify(structuredContent) (microsoft/vscode mcpLanguageModelToolContribution.ts);
//   image blocks are kept. Then Copilot (copilot 0.67.0, dist/extension.js, the tool result's
//   onText) writes every text part whose `.length` is over
//   github.copilot.chat.agent.largeToolResultsToDisk.thresholdBytes (default 8 * 1024) to a file
//   and gives the model a ≈ 490-character pointer instead ("Large tool result (11KB) written to
//   file. Use the read_file tool to access the content at: …"). Despite the setting's name it
//   compares the string's length (UTF-16 code units), which UTF-8 bytes never undercount.
// - Claude Code: structuredContent's JSON replaces the text blocks (anthropics/claude-code #55677,
//   #79944); on isError the text only (#86032); over ≈ 50,000 characters the model gets "Output
//   too large … saved to <file> … Preview (first 2KB)". Before 2.1.197 it also dropped image
//   blocks beside structuredContent (#54737).
// - Roo Code: the text blocks joined; structuredContent ignored; no size cap (UseMcpToolTool.ts).
// - Cline 4 (its SDK build): JSON.stringify of the whole CallToolResult (content and
//   structuredContent, image data included: MCP images are not recognised as images), cut to
//   8,000 characters from the middle (DEFAULT_MAX_TOOL_RESULT_CHARS,
//   CLINE_MESSAGE_BUILDER_MAX_TOOL_RESULT_CHARS).
// Tests and the bench use this to check what a model actually reads, not what the server sent.

export type ClientName = 'vscode' | 'claude-code' | 'roo' | 'cline';
export const CLIENTS: readonly ClientName[] = ['vscode', 'claude-code', 'roo', 'cline'];

/** The clientInfo.name each client sends at initialize (what the server picks budgets from). */
export const CLIENT_INFO: Record<ClientName, { name: string; version: string }> = {
  vscode: { name: 'Visual Studio Code', version: '1.139.1' },
  'claude-code': { name: 'claude-code', version: '2.1.332' },
  roo: { name: 'Roo Code', version: '3.30.0' },
  cline: { name: 'Cline', version: '4.0.0' },
};

/** Copilot's default chat.agent.largeToolResultsToDisk.thresholdBytes. */
export const VSCODE_FILE_THRESHOLD = 8 * 1024;
/** Cline 4's DEFAULT_MAX_TOOL_RESULT_CHARS. */
export const CLINE_CUT_CHARS = 8_000;
/** Claude Code: results over this many characters reach the model as a file path and a 2 KB preview. */
export const CLAUDE_CODE_FILE_CHARS = 50_000;

export interface ResultLike {
  content?: Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
  structuredContent?: unknown;
  isError?: boolean;
}

export interface ModelView {
  /** The text the model reads (one string; blocks joined by a newline), after the client's own cuts. */
  text: string;
  /** Image blocks the model sees. */
  images: Array<{ data: string; mimeType: string }>;
  /** Characters (UTF-16 code units, String.length) of what the client measures, before its cuts. */
  chars: number;
  /** UTF-8 bytes of the same. */
  bytes: number;
  /** Rough token count of `text` (chars / 4), as the issue measures. */
  tokens: number;
  /**
   * False when the client did not hand the result to its model whole: VS Code wrote it to a file
   * (the model got a pointer), Claude Code saved it to a file (a preview), Cline cut its middle.
   */
  whole: boolean;
}

/** The pointer Copilot gives its model instead of a large text part (its shape; the path varies). */
export function vscodeFilePointer(text: string): string {
  const path = '/home/user/.config/Code/User/workspaceStorage/0123456789abcdef0123456789abcdef/GitHub.copilot-chat/chat-session-resources/00000000-0000-0000-0000-000000000000/call_0123456789abcdefghijklmn';
  let json = false;
  try {
    JSON.parse(text);
    json = true;
  } catch {
    // Not JSON: written as content.txt, no schema.
  }
  return `Large tool result (${Math.round(text.length / 1024)}KB) written to file. Use the read_file tool to access the content at: ${path}/${json ? 'content.json' : 'content.txt'}${json ? `\n\nData schema found at: ${path}/schema.json` : ''}`;
}

/** Cline's middle cut: head and tail kept around a marker, `max` characters in all. */
export function clineCut(text: string, max = CLINE_CUT_CHARS): string {
  if (text.length <= max) return text;
  const marker = (n: number) => `\n\n...[truncated ${n} chars]...\n\n`;
  const room = max - marker(text.length).length;
  const head = Math.ceil(room / 2);
  return text.slice(0, head) + marker(text.length - room) + text.slice(text.length - (room - head));
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

export function modelView(result: ResultLike, client: ClientName, opts: { oldClaudeCode?: boolean } = {}): ModelView {
  const content = result.content ?? [];
  const texts = content.filter((c) => c.type === 'text').map((c) => c.text ?? '');
  let images = content.filter((c) => c.type === 'image').map((c) => ({ data: c.data ?? '', mimeType: c.mimeType ?? '' }));
  const view = (measured: string, text: string, whole: boolean): ModelView => ({
    text,
    images,
    chars: measured.length,
    bytes: utf8(measured),
    tokens: Math.round(text.length / 4),
    whole,
  });
  if (client === 'cline') {
    // The whole CallToolResult as JSON, images included as base64 text.
    const json = JSON.stringify({ content, ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}), ...(result.isError ? { isError: true } : {}) });
    images = [];
    return view(json, clineCut(json), json.length <= CLINE_CUT_CHARS);
  }
  const structuredWins = (client === 'vscode' || client === 'claude-code') && !result.isError && result.structuredContent !== undefined;
  if (client === 'claude-code' && structuredWins && opts.oldClaudeCode) images = [];
  const parts = structuredWins ? [JSON.stringify(result.structuredContent)] : texts;
  const measured = parts.join('\n');
  if (client === 'vscode') {
    // Each text part on its own: over the threshold, a file pointer replaces it.
    const shown = parts.map((p) => (p.length > VSCODE_FILE_THRESHOLD ? vscodeFilePointer(p) : p));
    return view(measured, shown.join('\n'), parts.every((p) => p.length <= VSCODE_FILE_THRESHOLD));
  }
  if (client === 'claude-code' && measured.length > CLAUDE_CODE_FILE_CHARS) {
    const preview = `Output too large (${(measured.length / 1024).toFixed(1)}KB). Full output saved to: /tmp/claude/tool-results/result.txt\n\nPreview (first 2KB):\n${measured.slice(0, 2048)}`;
    return view(measured, preview, false);
  }
  return view(measured, measured, true);
}

/**
 * The views of one result by the clients it was shaped for. The server shapes each session's
 * answers for its client (src/server/clientBudgets.ts): a result with structuredContent is what
 * VS Code, Claude Code and Roo Code get; Cline is served text only, so its view is only computed
 * for a result without structuredContent (to check Cline's view, connect as Cline: CLIENT_INFO).
 */
export function allViews(result: ResultLike): Partial<Record<ClientName, ModelView>> {
  const served = result.structuredContent === undefined ? CLIENTS : CLIENTS.filter((c) => c !== 'cline');
  return Object.fromEntries(served.map((c) => [c, modelView(result, c)]));
}

// A run of base64 long enough to be an encoded image or binary, not a word or an id: 200+
// characters of the base64 alphabet with no space.
const BASE64_RUN = /[A-Za-z0-9+/]{200,}={0,2}/;

/** The first base64-looking run in a text, or undefined. */
export function findBase64(text: string): string | undefined {
  const m = BASE64_RUN.exec(text);
  return m ? m[0].slice(0, 60) + '…' : undefined;
}
