// Command palette actions (category "Jupyter MCP"). Each returns something tests can check.
import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';
import type { ServerController } from './serverController';
import { clientSnippets, ConfigMergeError, TOKEN_ENV } from '../util/clientConfig';
import { writeRooConfig } from './rooConfig';
import { cursorMcpApi, writeCursorConfig } from './cursor';
import { readSettings } from './settings';
import type { ActiveKernelInfo } from '../kernels/backend';

export function registerCommands(server: ServerController, channel: vscode.LogOutputChannel): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, fn);
  return [
    reg(COMMANDS.startServer, async () => {
      const rt = await server.start();
      if (rt) void vscode.window.showInformationMessage(`Jupyter MCP server running at ${rt.url}`);
      return rt?.url;
    }),
    reg(COMMANDS.stopServer, async () => {
      await server.stop();
      void vscode.window.showInformationMessage('Jupyter MCP server stopped.');
    }),
    reg(COMMANDS.restartServer, async () => {
      const rt = await server.restart();
      if (rt) void vscode.window.showInformationMessage(`Jupyter MCP server restarted at ${rt.url}`);
      return rt?.url;
    }),
    reg(COMMANDS.showConnectionInfo, () => showConnectionInfo(server)),
    reg(COMMANDS.copyClientConfig, (label?: string) => copyClientConfig(server, label)),
    reg(COMMANDS.configureRoo, () => configureRoo(server)),
    reg(COMMANDS.configureCursor, () => configureCursor(server)),
    reg(COMMANDS.connectJupyter, (url?: string, token?: string) => connectJupyter(server, url, token)),
    reg(COMMANDS.disconnectJupyter, async () => {
      await server.disconnectJupyter();
      void vscode.window.showInformationMessage('Jupyter MCP: disconnected from the Jupyter server.');
    }),
    reg(COMMANDS.startKernel, (name?: string) => startKernel(server, name)),
    reg(COMMANDS.interruptKernel, (id?: string) => kernelAction(server, 'interrupt', id)),
    reg(COMMANDS.restartKernel, (id?: string) => kernelAction(server, 'restart', id)),
    reg(COMMANDS.stopKernel, (id?: string) => kernelAction(server, 'stop', id)),
    reg(COMMANDS.showKernels, () => showKernels(server)),
    reg(COMMANDS.showLog, () => channel.show(true)),
    reg(COMMANDS.rotateToken, async () => {
      await server.rotateToken();
      void vscode.window.showInformationMessage(
        'Jupyter MCP: new access token. Copilot, Cursor and Roo Code (.roo/mcp.json, .cursor/mcp.json) use it automatically; clients configured by hand need it again (Copy Client Configuration…).',
      );
    }),
  ];
}

async function running(server: ServerController) {
  const rt = await server.start();
  if (!rt) {
    void vscode.window.showErrorMessage(`Jupyter MCP server is not running: ${server.lastError ?? 'see the log'}`, 'Show Log').then((a) => a && vscode.commands.executeCommand(COMMANDS.showLog));
  }
  return rt;
}

async function showConnectionInfo(server: ServerController): Promise<{ url: string; port: number; sessions: number } | undefined> {
  const rt = await running(server);
  if (!rt) return undefined;
  const info = { url: rt.url, port: rt.port, sessions: server.sessions };
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(copy) Copy URL', detail: rt.url, action: 'url' },
      { label: '$(key) Copy Authorization header', detail: 'Authorization: Bearer … (keep it private)', action: 'header' },
      { label: '$(json) Copy configuration for a client…', detail: 'Roo Code, Cline, Claude Code, VS Code mcp.json', action: 'config' },
      { label: '$(gear) Configure Roo Code for this workspace', detail: 'writes .roo/mcp.json', action: 'roo' },
      { label: '$(gear) Configure Cursor for this workspace', detail: 'writes .cursor/mcp.json', action: 'cursor' },
    ],
    { title: `Jupyter MCP — ${rt.url} — port ${rt.port} — ${server.sessions} session${server.sessions === 1 ? '' : 's'}`, placeHolder: 'Copilot finds this server by itself; other clients need the URL and the header' },
  );
  if (pick?.action === 'url') await vscode.env.clipboard.writeText(rt.url);
  if (pick?.action === 'header') await vscode.env.clipboard.writeText(`Authorization: Bearer ${await server.authToken()}`);
  if (pick?.action === 'config') await copyClientConfig(server);
  if (pick?.action === 'roo') await configureRoo(server);
  if (pick?.action === 'cursor') await configureCursor(server);
  return info;
}

async function copyClientConfig(server: ServerController, label?: string): Promise<string | undefined> {
  const rt = await running(server);
  if (!rt) return undefined;
  const snippets = clientSnippets({ url: rt.url, token: await server.authToken() }, readSettings().maxWait);
  const pick = label ? snippets.find((s) => s.label === label) : await vscode.window.showQuickPick(snippets, { title: 'Copy a ready configuration for…' });
  if (!pick) return undefined;
  await vscode.env.clipboard.writeText(pick.text);
  void vscode.window.showInformationMessage(`Copied the ${pick.label} configuration. It contains the access token: keep it out of shared files.`);
  return pick.text;
}

/**
 * Writes or merges our entry into <workspace>/.roo/mcp.json, leaving other entries alone. The
 * entry names the token as ${env:JUPYTER_MCP_VSCODE_TOKEN} (see rooConfig.ts): no secret on disk.
 */
async function configureRoo(server: ServerController): Promise<string | undefined> {
  const rt = await running(server);
  if (!rt) return undefined;
  let file: vscode.Uri | undefined;
  try {
    file = await writeRooConfig(rt.url, readSettings().maxWait);
  } catch (e) {
    if (e instanceof ConfigMergeError) {
      void vscode.window.showErrorMessage(`Jupyter MCP: .roo/mcp.json was left unchanged because ${e.message}.`);
      return undefined;
    }
    throw e;
  }
  if (!file) return undefined;
  void vscode.window.showInformationMessage(
    `Roo Code can now use Jupyter MCP (server "jupyter" in .roo/mcp.json). The file holds no secret: Roo Code reads the token from the environment variable ${TOKEN_ENV}, which this window sets while the server runs.`,
  );
  return file.fsPath;
}

/**
 * Writes or merges our entry into <workspace>/.cursor/mcp.json, leaving other entries alone. As for
 * Roo Code, the entry names the token as ${env:JUPYTER_MCP_VSCODE_TOKEN}: no secret on disk. In
 * Cursor the extension also registers the server itself (cursor.ts), which needs no file.
 */
async function configureCursor(server: ServerController): Promise<string | undefined> {
  const rt = await running(server);
  if (!rt) return undefined;
  let file: vscode.Uri | undefined;
  try {
    file = await writeCursorConfig(rt.url);
  } catch (e) {
    if (e instanceof ConfigMergeError) {
      void vscode.window.showErrorMessage(`Jupyter MCP: .cursor/mcp.json was left unchanged because ${e.message}.`);
      return undefined;
    }
    throw e;
  }
  if (!file) return undefined;
  const registered = cursorMcpApi() ? ' This Cursor window also has the server registered by the extension, with no file needed.' : '';
  void vscode.window.showInformationMessage(
    `Cursor can now use Jupyter MCP (server "jupyter" in .cursor/mcp.json). The file holds no secret: Cursor fills in the token from the environment variable ${TOKEN_ENV}, which this window sets while the server runs.${registered}`,
  );
  return file.fsPath;
}

async function connectJupyter(server: ServerController, url?: string, token?: string): Promise<boolean> {
  const interactive = url === undefined;
  url ??= await vscode.window.showInputBox({
    title: 'Connect to Jupyter Server (1/2)',
    prompt: 'URL of a running Jupyter server (JupyterLab, Notebook or jupyter_server)',
    value: server.jupyterUrl ?? 'http://localhost:8888',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'Use an http:// or https:// URL';
      } catch {
        return 'Not a URL, e.g. http://localhost:8888';
      }
    },
  });
  if (!url) return false;
  // A token pasted inside the URL (?token=…) is moved to SecretStorage, never kept in settings.
  const u = new URL(url);
  if (u.searchParams.get('token')) {
    token ??= u.searchParams.get('token')!;
    u.searchParams.delete('token');
    url = u.toString();
  }
  if (interactive && token === undefined) {
    token = await vscode.window.showInputBox({ title: 'Connect to Jupyter Server (2/2)', prompt: 'Token (leave empty if the server has none)', password: true, ignoreFocusOut: true });
    if (token === undefined) return false;
  }
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${new URL(url).origin}…` }, () => server.connectJupyter(url!, token || undefined));
    void vscode.window.showInformationMessage(`Jupyter MCP: connected to ${new URL(url).origin}. Agents and the kernel picker can use its kernels.`);
    return true;
  } catch (e) {
    void vscode.window.showErrorMessage(`Jupyter MCP: not connected. ${(e as Error).message}`);
    if (!interactive) throw e;
    return false;
  }
}

async function startKernel(server: ServerController, name?: string): Promise<string | undefined> {
  const rt = await running(server);
  if (!rt) return undefined;
  try {
    if (!name) {
      const { available } = await rt.kernels.listKernels();
      const specs = available.filter((s) => s.backend === 'jupyter');
      const pick = await vscode.window.showQuickPick(
        specs.map((s) => ({ label: s.display_name, description: s.name, detail: s.language })),
        { title: 'Start a kernel on the Jupyter server' },
      );
      if (!pick) return undefined;
      name = pick.description;
    }
    const k = await rt.kernels.startKernel(name);
    server.scheduleKernelRefresh();
    void vscode.window.showInformationMessage(`Kernel ${k.name} started (${k.id}).`);
    return k.id;
  } catch (e) {
    void vscode.window.showErrorMessage(`Jupyter MCP: ${(e as Error).message}`);
    return undefined;
  }
}

async function pickKernel(server: ServerController, title: string): Promise<ActiveKernelInfo | undefined> {
  const view = await server.refreshKernels();
  if (view.kernels.length === 0) {
    void vscode.window.showInformationMessage(view.error ? `Jupyter MCP: ${view.error}` : 'Jupyter MCP: no active kernels.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    view.kernels.map((k) => ({ label: `${k.name} — ${k.state}`, description: k.id, detail: `${k.notebook ?? 'no notebook'} · ${k.backend}`, kernel: k })),
    { title },
  );
  return pick?.kernel;
}

async function kernelAction(server: ServerController, action: 'interrupt' | 'restart' | 'stop', id?: string): Promise<boolean> {
  const rt = await running(server);
  if (!rt) return false;
  const kernelId = id ?? (await pickKernel(server, `${action[0].toUpperCase()}${action.slice(1)} which kernel?`))?.id;
  if (!kernelId) return false;
  try {
    if (action === 'interrupt') await rt.kernels.interruptKernel(kernelId);
    else if (action === 'restart') await rt.kernels.restartKernel(kernelId);
    else await rt.kernels.stopKernel(kernelId);
    server.scheduleKernelRefresh();
    void vscode.window.showInformationMessage(`Kernel ${action === 'stop' ? 'stopped' : `${action}ed`}: ${kernelId}`);
    return true;
  } catch (e) {
    void vscode.window.showErrorMessage(`Jupyter MCP: ${(e as Error).message}`);
    return false;
  }
}

/** The status bar's click: kernels with their actions, plus server actions. */
async function showKernels(server: ServerController): Promise<void> {
  const view = await server.refreshKernels();
  type Item = vscode.QuickPickItem & { run?: () => Thenable<unknown> | Promise<unknown> };
  const items: Item[] = [];
  for (const k of view.kernels) {
    items.push({ label: `$(circuit-board) ${k.name} — ${k.state}`, description: k.id.slice(0, 8), detail: `${k.notebook ?? 'no notebook'} · ${k.backend}`, kind: vscode.QuickPickItemKind.Default });
    items.push({ label: '    $(debug-pause) Interrupt', run: () => kernelAction(server, 'interrupt', k.id) });
    items.push({ label: '    $(debug-restart) Restart', run: () => kernelAction(server, 'restart', k.id) });
    items.push({ label: '    $(debug-stop) Stop', run: () => kernelAction(server, 'stop', k.id) });
  }
  if (view.kernels.length === 0) items.push({ label: view.error ? `$(info) ${view.error.split('. ')[0]}` : '$(info) No active kernels' });
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(add) Start Kernel…', run: () => startKernel(server) });
  items.push({ label: '$(plug) Connect to Jupyter Server…', run: () => connectJupyter(server) });
  items.push({ label: '$(info) Show Connection Info', run: () => showConnectionInfo(server) });
  items.push({ label: '$(output) Show Log', run: () => vscode.commands.executeCommand(COMMANDS.showLog) });
  const pick = await vscode.window.showQuickPick(items, { title: `Jupyter MCP — ${server.state}${server.url ? ` at ${server.url}` : ''}` });
  await pick?.run?.();
}
