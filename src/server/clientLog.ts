// MCP logging (notifications/message) for one session. The server advertises the `logging`
// capability, so it sends what it logs about this session's calls to the client, redacted, at or
// above the level the client chose with logging/setLevel. Until the client chooses a level nothing
// is sent: the spec lets the server decide, and a client that never asked would only get noise
// (and, over HTTP, a GET stream it may not hold open).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { redact, type Logger } from '../util/log';

// RFC 5424 severities, least to most severe, as MCP names them.
const SEVERITY: Record<LoggingLevel, number> = { debug: 0, info: 1, notice: 2, warning: 3, error: 4, critical: 5, alert: 6, emergency: 7 };

/**
 * Installs the logging/setLevel handler on `server` and returns a logger that writes to `local`
 * and also notifies the client. One McpServer serves one session, so the level lives here rather
 * than in the SDK's map keyed by session id (which has no key on stdio).
 */
export function sessionLogger(server: McpServer, local: Logger, loggerName: string): Logger {
  let level: LoggingLevel | undefined;
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    level = request.params.level;
    return {};
  });
  const send = (at: LoggingLevel, message: string) => {
    if (level === undefined || SEVERITY[at] < SEVERITY[level] || !server.isConnected()) return;
    // A log line must never fail or delay the call it describes.
    void server.server.notification({ method: 'notifications/message', params: { level: at, logger: loggerName, data: redact(message) } }).catch(() => undefined);
  };
  return {
    debug: (m) => (local.debug(m), send('debug', m)),
    info: (m) => (local.info(m), send('info', m)),
    warn: (m) => (local.warn(m), send('warning', m)),
    error: (m) => (local.error(m), send('error', m)),
  };
}
