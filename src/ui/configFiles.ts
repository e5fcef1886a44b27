// Reading and rewriting the workspace's client config files (.roo/mcp.json, .cursor/mcp.json).
// Each rewrite is a read-merge-write, and the extension does it from several places (a command, each
// server start, each settings change): they run one at a time per file, so two never interleave and
// lose an entry. The new text goes to a temporary file renamed over the old one, so a reader — Roo
// Code's or Cursor's file watcher, which reloads on every change — never sees a half-written or empty
// file (a plain write truncates first).
import * as vscode from 'vscode';
import { ConfigMergeError, SERVER_KEY } from '../util/clientConfig';
import { KeyedLock } from '../util/keyedLock';

const lock = new KeyedLock();

export async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/** Replaces the file's text with `merge(current text)`, atomically and one rewrite at a time per file. */
export function rewriteConfigFile(uri: vscode.Uri, merge: (current: string | undefined) => string): Promise<void> {
  return lock.run(uri.toString(), async () => {
    const text = merge(await readText(uri));
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
    const temp = uri.with({ path: `${uri.path}.${process.pid}.${Date.now().toString(36)}.tmp` });
    await vscode.workspace.fs.writeFile(temp, new TextEncoder().encode(text));
    try {
      await vscode.workspace.fs.rename(temp, uri, { overwrite: true });
    } catch (e) {
      await vscode.workspace.fs.delete(temp).then(undefined, () => undefined);
      throw e;
    }
  });
}

/**
 * After the server starts (or its token changes): rewrites the file through `rewrite` only when its
 * `mcpServers` entry of our name is one this extension wrote (`isOurs`). Never creates the file, never
 * touches a file that is not JSON or an entry of the same name the person wrote. Returns whether the
 * file was rewritten.
 */
export async function refreshOurEntry(uri: vscode.Uri | undefined, isOurs: (entry: unknown) => boolean, rewrite: () => Promise<unknown>): Promise<boolean> {
  const text = uri && (await readText(uri));
  if (text === undefined) return false;
  let entry: unknown;
  try {
    entry = (JSON.parse(text) as { mcpServers?: Record<string, unknown> })?.mcpServers?.[SERVER_KEY];
  } catch {
    return false;
  }
  if (!isOurs(entry)) return false;
  try {
    await rewrite();
    return true;
  } catch (e) {
    if (e instanceof ConfigMergeError) return false;
    throw e;
  }
}
