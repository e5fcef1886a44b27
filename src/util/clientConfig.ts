// Client configuration snippets and the .roo/mcp.json merge. Pure functions (no vscode) so they
// are unit-tested; the extension's commands call them.

export const SERVER_KEY = 'jupyter';

export interface Endpoint {
  url: string;
  token?: string;
}

function headers(e: Endpoint): Record<string, string> | undefined {
  return e.token ? { Authorization: `Bearer ${e.token}` } : undefined;
}

/**
 * The client-side time limit to write: a minute above the longest wait of an execution call
 * (--max-wait, 300 s by default), so that even a call with a large wait_seconds answers before the
 * client gives up; longer runs answer "running" and are followed with wait_for_run. Roo and Cline
 * accept 1-3600 s.
 */
export function clientTimeoutSeconds(maxWaitSeconds: number): number {
  return Math.min(3600, Math.max(60, Math.ceil(maxWaitSeconds) + 60));
}

/** Roo Code's entry: streamable-http with a timeout above the server's longest wait (Roo ignores progress). */
export function rooEntry(e: Endpoint, maxWaitSeconds: number): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    type: 'streamable-http',
    url: e.url,
    timeout: clientTimeoutSeconds(maxWaitSeconds),
  };
  const h = headers(e);
  if (h) entry.headers = h;
  return entry;
}

export class ConfigMergeError extends Error {}

/**
 * Adds or replaces our server in a Roo Code mcp.json text, keeping every other entry and key.
 * Refuses (throws ConfigMergeError) when the existing text is not a JSON object, rather than
 * overwriting the user's file.
 */
export function mergeRooConfig(existing: string | undefined, entry: Record<string, unknown>, key = SERVER_KEY): string {
  let doc: Record<string, unknown> = {};
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (e) {
      throw new ConfigMergeError(`it is not valid JSON (${(e as Error).message}); fix or remove it, then run the command again`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigMergeError('it does not hold a JSON object; fix or remove it, then run the command again');
    doc = parsed as Record<string, unknown>;
  }
  const servers = doc.mcpServers;
  if (servers !== undefined && (typeof servers !== 'object' || servers === null || Array.isArray(servers))) {
    throw new ConfigMergeError('its "mcpServers" is not an object; fix it, then run the command again');
  }
  const previous = ((servers as Record<string, unknown>) ?? {})[key];
  // Keep the user's own choices on our entry (alwaysAllow, disabledTools, disabled).
  const kept: Record<string, unknown> = {};
  if (previous && typeof previous === 'object') {
    for (const k of ['alwaysAllow', 'disabledTools', 'disabled']) if (k in previous) kept[k] = (previous as Record<string, unknown>)[k];
  }
  doc.mcpServers = { ...((servers as Record<string, unknown>) ?? {}), [key]: { ...entry, ...kept } };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Ready-to-paste configurations for common clients. */
export function clientSnippets(e: Endpoint, maxWaitSeconds: number): { label: string; detail: string; text: string }[] {
  const h = headers(e);
  const headerArg = e.token ? ` --header "Authorization: Bearer ${e.token}"` : '';
  return [
    { label: 'Roo Code (.roo/mcp.json)', detail: 'streamable-http entry for mcpServers', text: JSON.stringify({ mcpServers: { [SERVER_KEY]: rooEntry(e, maxWaitSeconds) } }, null, 2) },
    { label: 'Cline (cline_mcp_settings.json)', detail: 'streamableHttp entry for mcpServers', text: JSON.stringify({ mcpServers: { [SERVER_KEY]: { type: 'streamableHttp', url: e.url, ...(h ? { headers: h } : {}), timeout: clientTimeoutSeconds(maxWaitSeconds) } } }, null, 2) },
    { label: 'Claude Code (command line)', detail: 'claude mcp add', text: `claude mcp add --transport http ${SERVER_KEY} ${e.url}${headerArg}` },
    { label: 'VS Code mcp.json (other editors/profiles)', detail: 'servers entry of type http', text: JSON.stringify({ servers: { [SERVER_KEY]: { type: 'http', url: e.url, ...(h ? { headers: h } : {}) } } }, null, 2) },
    { label: 'URL only', detail: e.token ? 'send the Authorization header too' : 'no token required', text: e.url },
  ];
}
