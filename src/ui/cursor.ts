// Cursor, a fork of VS Code, does not implement vscode.lm.registerMcpServerDefinitionProvider (it
// logs "not supported" and registers nothing), so Copilot's way of finding this server does not
// reach Cursor's agent. Cursor has its own API instead, vscode.cursor.mcp.registerServer /
// unregisterServer (cursor.com/docs/extension-api), and reads .cursor/mcp.json. Where that API
// exists the server is registered through it as well, with the URL and the token, and kept current
// as the server starts, stops, moves port or rotates its token. "Configure Cursor" writes the
// workspace's .cursor/mcp.json entry, which names the token (${env:…}, expanded by Cursor) rather
// than holding it, as the Roo Code entry does (see rooConfig.ts).
import * as vscode from 'vscode';
import { refreshOurEntry, rewriteConfigFile } from './configFiles';
import { cursorEntry, isOurCursorEntry, mergeRooConfig, SERVER_KEY, TOKEN_ENV_REFERENCE } from '../util/clientConfig';

/** The part of Cursor's extension API used here (cursor.com/docs/extension-api). */
export interface CursorMcpApi {
  registerServer(config: { name: string; server: { url: string; headers?: Record<string, string> } }): void;
  unregisterServer(name: string): void;
}

/** Cursor's MCP API when this editor has it (Cursor), else undefined (VS Code and other forks). */
export function cursorMcpApi(): CursorMcpApi | undefined {
  const mcp = (vscode as unknown as { cursor?: { mcp?: Partial<CursorMcpApi> } }).cursor?.mcp;
  return typeof mcp?.registerServer === 'function' && typeof mcp.unregisterServer === 'function' ? (mcp as CursorMcpApi) : undefined;
}

/**
 * What registering with Cursor reads of our server (the ServerController has it; declared here so
 * that this file does not import serverController.ts, which imports refreshCursorConfig from here).
 */
export interface CursorServerSource {
  readonly state: string;
  readonly url: string | undefined;
  readonly tokenGeneration: number;
  authToken(): Promise<string>;
  readonly onDidChange: vscode.Event<void>;
}

/**
 * Registers the server with Cursor while it runs: registered with the current URL and token,
 * registered again when either changes, unregistered when it stops and on dispose. `api` is
 * Cursor's, found by feature detection; tests pass a stand-in (Cursor cannot be installed on the
 * test machines). Nothing happens where the API does not exist.
 */
export function registerCursorServer(server: CursorServerSource, api: CursorMcpApi | undefined = cursorMcpApi()): vscode.Disposable {
  if (!api) return new vscode.Disposable(() => undefined);
  let registered: string | undefined;
  let sync = Promise.resolve();
  const unregister = (): void => {
    if (registered === undefined) return;
    registered = undefined;
    try {
      api.unregisterServer(SERVER_KEY);
    } catch {
      /* Cursor may already have dropped it */
    }
  };
  const update = async (): Promise<void> => {
    const url = server.state === 'running' ? server.url : undefined;
    if (!url) return unregister();
    const token = await server.authToken();
    const key = `${url}|${server.tokenGeneration}|${token}`;
    if (key === registered) return;
    unregister();
    api.registerServer({ name: SERVER_KEY, server: { url, headers: { Authorization: `Bearer ${token}` } } });
    registered = key;
  };
  // One update at a time, in the order the changes happened.
  const schedule = (): void => {
    sync = sync.then(update).catch(() => undefined);
  };
  const sub = server.onDidChange(schedule);
  schedule();
  return new vscode.Disposable(() => {
    sub.dispose();
    void sync.then(unregister);
  });
}

export function cursorConfigUri(): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && vscode.Uri.joinPath(folder.uri, '.cursor', 'mcp.json');
}


/**
 * Writes or merges our entry (URL, env-referenced token) into .cursor/mcp.json, keeping every other
 * entry. Throws ConfigMergeError, leaving the file alone, when it is not a JSON object.
 */
export async function writeCursorConfig(url: string): Promise<vscode.Uri | undefined> {
  const uri = cursorConfigUri();
  if (!uri) return undefined;
  await rewriteConfigFile(uri, (current) => mergeRooConfig(current, cursorEntry({ url, token: TOKEN_ENV_REFERENCE })));
  return uri;
}

/**
 * After the server starts: if .cursor/mcp.json has our entry, points it at the current URL (rewritten
 * each time, as Roo's: a client that watches the file reconnects, with the current token). Never
 * creates the file, never touches other entries or an entry of the same name it did not write.
 */
export function refreshCursorConfig(url: string): Promise<boolean> {
  return refreshOurEntry(cursorConfigUri(), isOurCursorEntry, () => writeCursorConfig(url));
}
