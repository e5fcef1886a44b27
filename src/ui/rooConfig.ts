// The workspace's .roo/mcp.json entry for this server. It names the access token through an
// environment variable (TOKEN_ENV) that the extension sets in its extension host only while its
// server listens, so:
// - the file holds no secret (it can be committed and shared; each person's window fills in its
//   own token);
// - when the server is not running, Roo Code sends the unexpanded `${env:…}` text, never a token,
//   to whatever listens on the port;
// - rotating the token needs no edit of the file's meaning. The extension still rewrites the
//   file after each start: Roo Code reconnects when the file changes (it compares the expanded
//   config it connected with to the file's text, which differ whenever a variable is used), so it
//   picks up the new token and the current port.
import * as vscode from 'vscode';
import { refreshOurEntry, rewriteConfigFile } from './configFiles';
import { isOurRooEntry, mergeRooConfig, rooEntry, TOKEN_ENV_REFERENCE } from '../util/clientConfig';

export function rooConfigUri(): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && vscode.Uri.joinPath(folder.uri, '.roo', 'mcp.json');
}


/**
 * Writes or merges our entry (URL, env-referenced token, time-out) into .roo/mcp.json, keeping
 * every other entry. Throws ConfigMergeError, leaving the file alone, when it is not a JSON object.
 */
export async function writeRooConfig(url: string, maxWaitSeconds: number): Promise<vscode.Uri | undefined> {
  const uri = rooConfigUri();
  if (!uri) return undefined;
  await rewriteConfigFile(uri, (current) => mergeRooConfig(current, rooEntry({ url, token: TOKEN_ENV_REFERENCE }, maxWaitSeconds)));
  return uri;
}

/**
 * After the server starts (or its token changes): if .roo/mcp.json has our entry, points it at the
 * current URL and replaces a token written in clear by an older version with the reference.
 * Returns whether the file was rewritten. Never creates the file, never touches other entries.
 */
export function refreshRooConfig(url: string, maxWaitSeconds: number): Promise<boolean> {
  return refreshOurEntry(rooConfigUri(), isOurRooEntry, () => writeRooConfig(url, maxWaitSeconds));
}
