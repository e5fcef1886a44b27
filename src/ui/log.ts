// The "Jupyter MCP" log output channel as a core Logger. Every line passes through redact().
import * as vscode from 'vscode';
import { redact, type Logger } from '../util/log';

export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => channel.debug(redact(m)),
    info: (m) => channel.info(redact(m)),
    warn: (m) => channel.warn(redact(m)),
    error: (m) => channel.error(redact(m)),
  };
}
