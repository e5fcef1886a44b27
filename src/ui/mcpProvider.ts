// Lets VS Code (Copilot agent mode) find the server with no pasting: an MCP server definition
// provider handing the editor the URL and the auth header. resolveMcpServerDefinition starts the
// server lazily if it is not running; the definition's version follows the tool list.
import * as vscode from 'vscode';
import type { ServerController } from './serverController';

export const PROVIDER_ID = 'jupyterMcp.server';

export function registerMcpProvider(server: ServerController): vscode.Disposable {
  // The API exists from VS Code 1.101; older hosts simply do not get automatic registration.
  if (typeof vscode.lm?.registerMcpServerDefinitionProvider !== 'function') return new vscode.Disposable(() => undefined);
  const changed = new vscode.EventEmitter<void>();
  let last = '';
  const sub = server.onDidChange(() => {
    const key = `${server.state}|${server.url}|${server.version}|${server.tokenGeneration}`;
    if (key !== last) {
      last = key;
      changed.fire();
    }
  });
  const provider: vscode.McpServerDefinitionProvider<vscode.McpHttpServerDefinition> = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: async () => {
      if (server.state !== 'running' || !server.url) return [];
      return [await definition(server)];
    },
    resolveMcpServerDefinition: async (def) => {
      const rt = await server.start();
      if (!rt) throw new Error(`Jupyter MCP server is not running: ${server.lastError ?? 'see the Jupyter MCP log'}`);
      // Refresh URL/token in case the port changed since the definition was listed.
      const fresh = await definition(server);
      def.uri = fresh.uri;
      def.headers = fresh.headers;
      return def;
    },
  };
  const reg = vscode.lm.registerMcpServerDefinitionProvider(PROVIDER_ID, provider);
  return vscode.Disposable.from(reg, sub, changed);
}

export async function definition(server: ServerController): Promise<vscode.McpHttpServerDefinition> {
  const token = await server.authToken();
  return new vscode.McpHttpServerDefinition('Jupyter MCP', vscode.Uri.parse(server.url!), { Authorization: `Bearer ${token}` }, server.version);
}
