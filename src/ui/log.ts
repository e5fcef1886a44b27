// The "Jupyter MCP" log output channel as a core Logger. Every line passes through logLine():
// redacted and kept on one line.
import * as vscode from 'vscode';
import { logLine, type Logger } from '../util/log';

export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => channel.debug(logLine(m)),
    info: (m) => channel.info(logLine(m)),
    warn: (m) => channel.warn(logLine(m)),
    error: (m) => channel.error(logLine(m)),
  };
}
