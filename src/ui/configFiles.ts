// Reading and rewriting the workspace's client config files (.roo/mcp.json, .cursor/mcp.json).
// Each rewrite is a read-merge-write, and the extension does it from several places (a command, each
// server start, each settings change): they run one at a time per file, so two never interleave and
// lose an entry. The new text goes to a temporary file renamed over the old one, so a reader — Roo
// Code's or Cursor's file watcher, which reloads on every change — never sees a half-written or empty
// file (a plain write truncates first).
import * as vscode from 'vscode';
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
