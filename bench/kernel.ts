// Kernel latency bench against the real Debian jupyter_server 1.23, stock and patched with
// TCP_NODELAY on kernel websockets:
//   - median of N `1+1` round trips: direct @jupyterlab/services requestExecute (plain 'ws', and
//     'ws' with a pong after every message), and MCP execute_cell over HTTP (our backend, pong on/off)
//   - execute_notebook of a 20-cell notebook (warm kernel, and cold incl. kernel start) vs
//     `/usr/bin/python3 -m nbconvert --to notebook --execute` (cold, its own kernel)
// Run: node --import tsx bench/kernel.ts [--runs 200]
import { spawnSync } from 'child_process';
import { writeFileSync } from 'fs';
import * as path from 'path';
import type * as JS from '@jupyterlab/services';
import { JupyterServerBackend, makeWebSocketClass } from '../src/kernels/jupyter';
import { emptyNotebook, makeCell, serializeNotebook } from '../src/notebooks/nbformat';
import { startJupyterServer, PYTHON, type TestJupyter } from '../test/helpers/jupyter';
import { connectClient, ok, startServer, tempWorkspace } from '../test/helpers/mcp';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 200;
const WARMUP = 10;

// @jupyterlab/services logs kernel status changes with console.debug: keep the figures readable.
console.debug = () => undefined;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

async function timeRuns(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/** requestExecute on a bare KernelConnection: the floor for any client of @jupyterlab/services. */
async function direct(j: TestJupyter, pong: boolean): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S = require('@jupyterlab/services') as typeof JS;
  const settings = S.ServerConnection.makeSettings({
    baseUrl: j.url,
    wsUrl: j.url.replace(/^http/, 'ws'),
    token: j.token,
    appendToken: false,
    WebSocket: makeWebSocketClass(j.token, pong),
    fetch: globalThis.fetch,
    Request: globalThis.Request,
    Headers: globalThis.Headers,
  });
  const model = await S.KernelAPI.startNew({ name: 'python3' }, settings);
  const conn = new S.KernelConnection({ model, serverSettings: settings });
  try {
    await conn.info;
    return await timeRuns(() => conn.requestExecute({ code: '1+1' }).done);
  } finally {
    await conn.shutdown();
    conn.dispose();
  }
}

async function viaMcp(j: TestJupyter, pong: boolean): Promise<number> {
  const ws = tempWorkspace();
  const backend = new JupyterServerBackend({ url: j.url, token: j.token, pongAfterMessage: pong });
  const server = await startServer({ root: ws.root, kernels: backend });
  const client = await connectClient(server.url);
  try {
    const { kernel_id } = await ok(client, 'start_kernel', {});
    const ms = await timeRuns(() => ok(client, 'execute_cell', { kernel_id, code: '1+1' }));
    await ok(client, 'stop_kernel', { kernel_id });
    return ms;
  } finally {
    await client.close();
    await server.close();
    await backend.dispose();
    ws.cleanup();
  }
}

function twentyCellNotebook(dir: string): string {
  const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3', language: 'python' });
  for (let i = 0; i < 20; i++) nb.cells.push(makeCell('code', i === 0 ? 'x = 0' : `x += ${i}\nx`, { id: `cell${i}` }));
  const file = path.join(dir, 'twenty.ipynb');
  writeFileSync(file, serializeNotebook(nb));
  return file;
}

async function notebooks(j: TestJupyter): Promise<Record<string, string>> {
  const ws = tempWorkspace();
  const file = twentyCellNotebook(ws.root);
  const backend = new JupyterServerBackend({ url: j.url, token: j.token });
  const server = await startServer({ root: ws.root, kernels: backend });
  const client = await connectClient(server.url);
  try {
    let t = performance.now();
    const cold = await ok(client, 'execute_notebook', { path: 'twenty.ipynb' }); // starts the notebook's kernel
    const coldMs = performance.now() - t;
    if (!cold.success) throw new Error(cold.message);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      await ok(client, 'execute_notebook', { path: 'twenty.ipynb' });
      warm.push(performance.now() - t);
    }
    const nbc: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const r = spawnSync(PYTHON, ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--output', 'out.ipynb', file], { cwd: ws.root, stdio: 'ignore' });
      if (r.status !== 0) throw new Error('nbconvert failed');
      nbc.push(performance.now() - t);
    }
    return {
      'execute_notebook 20 cells, warm kernel (median of 5)': fmt(median(warm)),
      'execute_notebook 20 cells, cold (kernel start included)': fmt(coldMs),
      'nbconvert --execute 20 cells (median of 3, own kernel)': fmt(median(nbc)),
    };
  } finally {
    await client.close();
    await server.close();
    await backend.dispose();
    ws.cleanup();
  }
}

async function main(): Promise<void> {
  const results: Array<[string, string]> = [];
  for (const nodelay of [false, true]) {
    const j = await startJupyterServer({ nodelay });
    const label = nodelay ? 'nodelay server' : 'stock server';
    try {
      results.push([`${label}: direct requestExecute, plain ws`, fmt(await direct(j, false))]);
      results.push([`${label}: direct requestExecute, ws + pong`, fmt(await direct(j, true))]);
      results.push([`${label}: MCP execute_cell, pong off`, fmt(await viaMcp(j, false))]);
      results.push([`${label}: MCP execute_cell, pong on (default)`, fmt(await viaMcp(j, true))]);
      if (!nodelay) for (const [k, v] of Object.entries(await notebooks(j))) results.push([`${label}: ${k}`, v]);
    } finally {
      await j.stop();
    }
  }
  process.stdout.write(`Median of ${RUNS} \`1+1\` round trips (after ${WARMUP} warm-up runs), Debian jupyter_server 1.23, ${require('os').cpus().length} cores\n`);
  for (const [k, v] of results) process.stdout.write(`  ${k.padEnd(72)} ${v}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
