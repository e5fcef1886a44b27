// VS Code composition root. Activation only builds light objects (log channel, controller,
// status bar, commands, MCP definition provider); the server and its dependencies live in
// dist/runtime.js, loaded when the server starts.
import * as vscode from 'vscode';
import * as path from 'path';
import { ServerController } from './ui/serverController';
import { StatusBar } from './ui/statusBar';
import { registerCommands } from './ui/commands';
import { registerAgentCommands } from './ui/agentCommands';
import { registerMcpProvider } from './ui/mcpProvider';
import { registerCursorServer } from './ui/cursor';
import { channelLogger } from './ui/log';
import { readSettings, SECTION } from './ui/settings';

/** Settings every call reads: a change applies to the running server at once. */
const LIVE = ['executionTimeout', 'maxOutputChars', 'maxImageKb', 'maxResultChars', 'maxWait', 'resultShape'];

/** What the extension exports, for other extensions and the host tests. */

export interface JupyterMcpApi {
  server: ServerController;
  statusBar: StatusBar;
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): JupyterMcpApi {
  const started = performance.now();
  const channel = vscode.window.createOutputChannel('Jupyter MCP', { log: true });
  const log = channelLogger(channel);
  // Separate bundle: keeps the MCP SDK and @jupyterlab/services out of activation.
  const loadRuntime = () => require(path.join(__dirname, 'runtime.js'));
  const server = new ServerController(context, log, loadRuntime);
  const statusBar = new StatusBar(server);
  context.subscriptions.push(
    channel,
    server,
    statusBar,
    ...registerCommands(server, channel),
    ...registerAgentCommands(server),
    registerMcpProvider(server),
    // Cursor implements no MCP definition provider: its own API, where it exists.
    registerCursorServer(server),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // A new port needs a new listener; the rest applies in place (sessions and kernels stay).
      if (e.affectsConfiguration(`${SECTION}.port`)) server.reloadSettings();
      else if (LIVE.some((key) => e.affectsConfiguration(`${SECTION}.${key}`))) void server.applySettings();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (server.state === 'running' || server.state === 'failed') void server.restart();
    }),
  );
  if (readSettings().autoStart) void server.start();
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { server, statusBar, activationMs };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the server and its kernels.
}
