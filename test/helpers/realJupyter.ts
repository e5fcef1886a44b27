// One real Jupyter server, one Jupyter MCP server on it and one SDK client, for a describe block:
// the set-up the kernel, run and untrusted-workspace suites share (before / after hooks), and the
// notebooks they write.
import { after, before } from 'node:test';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { JupyterServerBackend } from '../../src/kernels/jupyter';
import { emptyNotebook, makeCell, serializeNotebook, type Notebook } from '../../src/notebooks/nbformat';
import { startJupyterServer, type TestJupyter } from './jupyter';
import { connectClient, startServer, tempWorkspace, type StartOptions, type TestServer } from './mcp';

export interface RealJupyter {
  ws: { root: string; cleanup(): void };
  jupyter: TestJupyter;
  backend: JupyterServerBackend;
  server: TestServer;
  client: Client;
}

/**
 * Registers before/after hooks in the calling describe block; the returned object is filled in by
 * `before` (read its fields inside tests, not at definition time).
 */
export function useRealJupyter(opts: { fixtures?: string[]; server?: Omit<StartOptions, 'root' | 'kernels'> } = {}): RealJupyter {
  const f = {} as RealJupyter;
  before(async () => {
    f.ws = tempWorkspace(opts.fixtures);
    f.jupyter = await startJupyterServer({ rootDir: f.ws.root });
    f.backend = new JupyterServerBackend({ url: f.jupyter.url, token: f.jupyter.token });
    f.server = await startServer({ timeoutMs: 30_000, ...opts.server, root: f.ws.root, kernels: f.backend });
    f.client = await connectClient(f.server.url);
  });
  after(async () => {
    await f.client?.close();
    await f.server?.close();
    await f.backend?.dispose();
    await f.jupyter?.stop();
    f.ws?.cleanup();
  });
  return f;
}

/** Writes a Python notebook: a string is a code cell (id c<i>), `{ md }` a markdown cell (id m<i>). */
export function writeNotebook(root: string, name: string, sources: Array<string | { md: string }>): string {
  const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3', language: 'python' });
  sources.forEach((s, i) => nb.cells.push(typeof s === 'string' ? makeCell('code', s, { id: `c${i}` }) : makeCell('markdown', s.md, { id: `m${i}` })));
  writeFileSync(path.join(root, name), serializeNotebook(nb));
  return name;
}

export const readNotebook = (root: string, name: string): Notebook => JSON.parse(readFileSync(path.join(root, name), 'utf8'));
