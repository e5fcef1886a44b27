// The set-up the controller, range and live-run suites share: the extension's MCP server on a free
// port, connected to a real Jupyter server started here (Debian's jupyter_server), and the runtime's
// EditorKernels (which owns the "Jupyter MCP" controller). Skips the suite when /usr/bin/python3
// cannot import jupyter_server and ipykernel.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JupyterMcpApi } from '../../../src/extension';
import type { Runtime } from '../../../src/editor/runtime';
import type { EditorKernels } from '../../../src/editor/editorKernels';
import { findJupyterPython, startLocalJupyter, type LocalJupyter } from '../../../src/kernels/localServer';

export const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

export interface ConnectedRuntime {
  api: JupyterMcpApi;
  root: string;
  rt: Runtime;
  jupyter: LocalJupyter;
  kernels: EditorKernels;
}

/** Call from suiteSetup with its `this`. */
export async function startConnectedRuntime(suite: Mocha.Context): Promise<ConnectedRuntime> {
  if (!findJupyterPython(['/usr/bin/python3'])) {
    console.log('[Extension Host] skipped: /usr/bin/python3 cannot import jupyter_server and ipykernel');
    suite.skip();
  }
  const ext = vscode.extensions.getExtension<JupyterMcpApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  const api = await ext.activate();
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const jupyter = await startLocalJupyter({ rootDir: root, pythons: ['/usr/bin/python3'] });
  // A free port: the default one may be taken on a shared machine.
  await api.server.stop();
  await vscode.workspace.getConfiguration('jupyterMcp').update('port', 0, vscode.ConfigurationTarget.Global);
  const rt = await api.server.start();
  assert.ok(rt, `the MCP server did not start: ${api.server.lastError}`);
  await api.server.connectJupyter(jupyter.url, jupyter.token);
  const kernels = (rt as unknown as { editorKernels?: EditorKernels }).editorKernels ?? (rt.kernels as unknown as { editor: EditorKernels }).editor;
  assert.ok(kernels?.controller, 'the runtime registered no notebook controller');
  return { api, root, rt, jupyter, kernels };
}

/** Call from suiteTeardown: ends the client's session, disconnects, closes the editors, stops Jupyter. */
export async function stopConnectedRuntime(api: JupyterMcpApi | undefined, jupyter: LocalJupyter | undefined, mcp?: { client?: Client; transport?: StreamableHTTPClientTransport }): Promise<void> {
  await mcp?.transport?.terminateSession().catch(() => undefined);
  await mcp?.client?.close().catch(() => undefined);
  await api?.server.disconnectJupyter().catch(() => undefined);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await jupyter?.stop();
}
