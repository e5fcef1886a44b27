// How long an execution tool waits before answering "running": below the time after which the
// calling client gives up (docs/KERNELS.md, "Long runs"). Clients that drop a call after 60 s
// whatever happens get 50 s; clients whose limit restarts with each progress notification (we send
// one at least every 5 s while code runs) wait longer, so short and medium cells answer in one call.

/** Per client (clientInfo.name at initialize, matched case-insensitively): default wait in seconds. */
export const CLIENT_WAITS: ReadonlyArray<{ match: RegExp; client: string; seconds: number; why: string }> = [
  // Other builds of VS Code (code-server, Code - OSS, VSCodium) run the same MCP client.
  { match: /^(visual studio code|code-server|code - oss|vscodium)\b/i, client: 'Visual Studio Code (Copilot)', seconds: 240, why: 'long limit, progress shown' },
  { match: /^claude-code$/i, client: 'Claude Code', seconds: 100, why: 'progress resets its 5 min limit; it backgrounds calls over 2 min' },
  { match: /^roo[ -]?code$/i, client: 'Roo Code', seconds: 50, why: 'per-server timeout, 60 s by default; progress ignored' },
  { match: /^cline/i, client: 'Cline', seconds: 50, why: '60 s by default' },
  { match: /inspector/i, client: 'MCP Inspector', seconds: 50, why: '60 s, no progress' },
];

/** Any other client: the MCP SDKs' default request time-out is 60 s. */
export const DEFAULT_WAIT_SECONDS = 50;

/** Upper bound on any wait unless --max-wait says otherwise. */
export const DEFAULT_MAX_WAIT_SECONDS = 300;

/** The default wait for a client, in seconds. */
export function clientWaitSeconds(clientName: string | undefined): number {
  const hit = clientName ? CLIENT_WAITS.find((c) => c.match.test(clientName.trim())) : undefined;
  return hit?.seconds ?? DEFAULT_WAIT_SECONDS;
}

/**
 * Milliseconds to wait: the call's own `wait_seconds`, else the client's default; never more than
 * `maxWaitMs` (--max-wait), which a person sets when they know their client's limit.
 */
export function waitMs(requested: number | undefined, clientName: string | undefined, maxWaitMs = DEFAULT_MAX_WAIT_SECONDS * 1000): number {
  const ms = requested !== undefined ? requested * 1000 : clientWaitSeconds(clientName) * 1000;
  return Math.max(0, Math.min(ms, maxWaitMs));
}
