// How much of one tool result each MCP client hands its MODEL whole, and so the budget every
// default answer is fitted to (docs/CLIENT-BUDGETS.md). Picked per session from clientInfo.name at
// initialize, as the waits are (src/runs/waits.ts). Each client below compares characters
// (String.length, UTF-16 code units); budgets are held in UTF-8 bytes (resultSize), never fewer, so
// a result within them stays whole even for a client that would count bytes.
// A budget set explicitly (--max-result-chars, jupyterMcp.maxResultChars) applies to every client.
import type { OutputLimits, ResultShape } from '../common/content';

/**
 * What a client measures from one result:
 * - "structured": JSON.stringify(structuredContent), which replaces the text blocks (VS Code,
 *   Claude Code); the text is kept under the same budget for clients that read it.
 * - "result": JSON.stringify of the whole CallToolResult, content and structuredContent, image
 *   data included (Cline 4).
 */
export type BudgetMeasure = 'structured' | 'result';

export interface ClientBudget {
  match: RegExp;
  client: string;
  /** The budget of what the client measures, in UTF-8 bytes (the client's own limit in characters, less a margin). */
  chars: number;
  measure: BudgetMeasure;
  /** Under result shape "auto": the shape this client gets (default structuredContent and text). */
  shape?: 'text';
  /** False when the client hands image blocks to its model as text (base64), not as images. */
  images?: (version: string) => boolean;
  why: string;
}

/** Per client (clientInfo.name at initialize, matched case-insensitively). */
export const CLIENT_BUDGETS: readonly ClientBudget[] = [
  {
    // Other builds of VS Code carry the same chat and Copilot under their own product name:
    // code-server (seen: "code-server", VS Code 1.139.1 with copilot 0.67.0), Code - OSS, VSCodium.
    match: /^(visual studio code|code-server|code - oss|vscodium)\b/i,
    client: 'VS Code (Copilot agent)',
    chars: 8_000,
    measure: 'structured',
    why:
      'its model reads JSON.stringify(structuredContent); Copilot writes a text part longer than 8,192 ' +
      '(github.copilot.chat.agent.largeToolResultsToDisk.thresholdBytes, compared with the text\'s length) to a file and hands its model a pointer',
  },
  {
    match: /^cline\b/i,
    client: 'Cline',
    chars: 8_000,
    measure: 'result',
    shape: 'text',
    // Cline 3 handed images over; Cline 4 (its SDK build) puts their base64 into the text.
    images: (version) => /^3\./.test(version),
    why:
      'Cline 4 hands its model JSON.stringify of the whole result (text and structuredContent both, image data as text), ' +
      'cut to 8,000 characters from the middle (CLINE_MESSAGE_BUILDER_MAX_TOOL_RESULT_CHARS): one view only, the text',
  },
];

/**
 * Any other client: Claude Code hands its model a 2 KB preview of results over ≈ 50,000
 * characters; Roo Code, Continue and the MCP Inspector have no cap.
 */
export const DEFAULT_RESULT_CHARS = 40_000;

/**
 * Text a "result"-measuring client reads is escaped once more inside the result's JSON (every
 * quote, backslash and line break of the summary and of the structured JSON repeated in it): the
 * tools get this share of the budget, the server's last guard measures the rest exactly.
 */
const RESULT_JSON_SHARE = 0.8;

export interface SessionBudget {
  /** The budget the client's view is held to, in what the client measures. */
  chars: number;
  measure: BudgetMeasure;
  /** What the tools fit their default answers to (ctx.limits.maxResultChars). */
  toolChars: number;
  /** False when image blocks must not be sent (the client would show their base64 as text). */
  images: boolean;
  /** The table row that applied, if any. */
  client?: string;
}

/** The budget of one session: the explicit setting for every client, else the client's row, else the default. */
export function sessionBudget(limits: Pick<OutputLimits, 'maxResultChars' | 'maxResultCharsSet'>, client?: { name: string; version: string }): SessionBudget {
  const row = client ? CLIENT_BUDGETS.find((c) => c.match.test(client.name.trim())) : undefined;
  const chars = limits.maxResultCharsSet || !row ? limits.maxResultChars : row.chars;
  const measure = row?.measure ?? 'structured';
  return {
    chars,
    measure,
    toolChars: measure === 'result' ? Math.floor(chars * RESULT_JSON_SHARE) : chars,
    images: row?.images ? row.images(client?.version ?? '') : true,
    ...(row ? { client: row.client } : {}),
  };
}

/** The result shape under "auto" for a client in the table (undefined: the default rules). */
export function budgetShape(setting: ResultShape | undefined, client?: { name: string }): 'text' | undefined {
  if (setting && setting !== 'auto') return undefined;
  return client ? CLIENT_BUDGETS.find((c) => c.match.test(client.name.trim()))?.shape : undefined;
}

/**
 * The tool context's limits for one session: the shared limits (a settings change updates them
 * in place, so they are read on every access), with maxResultChars this session's budget.
 */
export function sessionLimits(limits: OutputLimits, budget: () => SessionBudget): OutputLimits {
  return new Proxy(limits, {
    get: (target, key, receiver) => (key === 'maxResultChars' ? budget().toolChars : Reflect.get(target, key, receiver)),
  });
}
