// The in-host suites' shared helpers (bundled into each test file by build-host-tests): waiting on
// what the host does, and real MCP SDK clients of the extension's server. Notebook files:
// notebookFiles.ts; the extension connected to a real Jupyter server: connectedRuntime.ts.
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JupyterMcpApi } from '../../../src/extension';

/**
 * Resolves with `fn`'s first truthy answer, asked every 50 ms: for what VS Code reports no event
 * about (a file the extension writes, a server restarting). `ms` only guards against a hang.
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Resolves once `check` holds. It is tried again on every change VS Code reports (notebook and
 * text edits, saves, execution state, editor focus) and every 250 ms for anything else, so a test
 * waits exactly as long as the host needs: on a loaded machine a save can take seconds, and a
 * short fixed limit fails tests that would pass. `timeoutMs` only guards against a hang.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let wake: () => void = () => undefined;
  const nudge = (): void => wake();
  const subscriptions = [
    vscode.workspace.onDidChangeNotebookDocument(nudge),
    vscode.workspace.onDidSaveNotebookDocument(nudge),
    vscode.workspace.onDidChangeTextDocument(nudge),
    vscode.window.onDidChangeActiveTextEditor(nudge),
    vscode.window.onDidChangeActiveNotebookEditor(nudge),
  ];
  try {
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    for (const s of subscriptions) s.dispose();
  }
}

/** A client connection: close both when done (terminateSession, then close). */
export interface McpConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/** The header a client sends with a bearer token; none without one. */
export function bearer(token?: string): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A real MCP SDK client of the server at `url`, sending `headers` with every request. */
export async function connectClient(url: string, name: string, headers: Record<string, string> = {}, version = '1'): Promise<McpConnection> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name, version });
  await client.connect(transport);
  return { client, transport };
}

/** A real MCP SDK client of the extension's server, with the token the editor hands out. */
export async function connectMcpClient(api: JupyterMcpApi, name: string, version = '1'): Promise<McpConnection> {
  const headers = bearer(await api.server.authToken());
  // The URL once the token is known: a server restarted meanwhile answers on its new port.
  return connectClient(api.server.url!, name, headers, version);
}
