// Client configuration snippets and the .roo/mcp.json merge. Pure functions (no vscode) so they
// are unit-tested; the extension's commands call them.

export const SERVER_KEY = 'jupyter';

/**
 * The environment variable the extension sets, in its extension host, to the window's access
 * token while its server listens. Roo Code runs in the same extension host and expands
 * `${env:NAME}` in every string of an mcp.json server entry when it connects (RooCodeInc/Roo-Code
 * src/services/mcp/McpHub.ts connectToServer -> injectVariables, src/utils/config.ts; an unknown
 * name is left as written). So .roo/mcp.json can name the token instead of holding it.
 */
export const TOKEN_ENV = 'JUPYTER_MCP_VSCODE_TOKEN';
export const TOKEN_ENV_REFERENCE = `\${env:${TOKEN_ENV}}`;

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

/**
 * Roo Code's entry: streamable-http with a timeout above the server's longest wait (Roo ignores
 * progress). `e.token` may be a literal token or TOKEN_ENV_REFERENCE (what .roo/mcp.json gets).
 */
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

/**
 * Whether an mcp.json entry is one this extension wrote (an HTTP entry for a loopback server), so
 * that refreshing it never rewrites a server the person set up under the same name.
 */
export function isOurRooEntry(entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const e = entry as Record<string, unknown>;
  return (e.type === 'streamable-http' || e.type === 'sse') && isLoopbackMcpUrl(e.url);
}

function isLoopbackMcpUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return (u.hostname === '127.0.0.1' || u.hostname === 'localhost') && (u.pathname === '/mcp' || u.pathname === '/sse' || u.pathname === '/');
  } catch {
    return false;
  }
}

/**
 * Cursor's .cursor/mcp.json entry: the URL (Cursor tells Streamable HTTP from SSE itself) and the
 * header. `e.token` may be TOKEN_ENV_REFERENCE: Cursor expands `${env:NAME}` in the strings of an
 * entry, headers included (cursor.com/docs/mcp, "Config interpolation"). Merged with
 * mergeRooConfig, which handles any `mcpServers` file.
 */
export function cursorEntry(e: Endpoint): Record<string, unknown> {
  const h = headers(e);
  return { url: e.url, ...(h ? { headers: h } : {}) };
}

/** Whether a .cursor/mcp.json entry is one this extension wrote: a loopback URL, no command. */
export function isOurCursorEntry(entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const e = entry as Record<string, unknown>;
  return e.command === undefined && isLoopbackMcpUrl(e.url);
}

/** Ready-to-paste configurations for common clients. */
export function clientSnippets(e: Endpoint, maxWaitSeconds: number): { label: string; detail: string; text: string }[] {
  const h = headers(e);
  const headerArg = e.token ? ` --header "Authorization: Bearer ${e.token}"` : '';
  return [
    { label: 'Roo Code (.roo/mcp.json)', detail: 'streamable-http entry for mcpServers', text: JSON.stringify({ mcpServers: { [SERVER_KEY]: rooEntry(e, maxWaitSeconds) } }, null, 2) },
    { label: 'Cursor (.cursor/mcp.json)', detail: 'url entry for mcpServers', text: JSON.stringify({ mcpServers: { [SERVER_KEY]: cursorEntry(e) } }, null, 2) },
    { label: 'Cline (cline_mcp_settings.json)', detail: 'streamableHttp entry for mcpServers', text: JSON.stringify({ mcpServers: { [SERVER_KEY]: { type: 'streamableHttp', url: e.url, ...(h ? { headers: h } : {}), timeout: clientTimeoutSeconds(maxWaitSeconds) } } }, null, 2) },
    { label: 'Claude Code (command line)', detail: 'claude mcp add', text: `claude mcp add --transport http ${SERVER_KEY} ${e.url}${headerArg}` },
    { label: 'VS Code mcp.json (other editors/profiles)', detail: 'servers entry of type http', text: JSON.stringify({ servers: { [SERVER_KEY]: { type: 'http', url: e.url, ...(h ? { headers: h } : {}) } } }, null, 2) },
    { label: 'URL only', detail: e.token ? 'send the Authorization header too' : 'no token required', text: e.url },
  ];
}
