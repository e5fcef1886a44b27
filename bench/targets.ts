// Scenario 9 (`--only targets`): the speed targets of issue 23, each measured against its physical
// reference in the same run, the two interleaved call by call so that the load of the moment
// weighs on both alike; every verdict is read from a median or a ratio of medians.
//   - MCP round trip: ping and list_notebooks of an empty folder through the standalone server
//     (`node dist/cli.js`) over real HTTP, with the SDK client and with a bare HTTP client;
//   - execute_cell of `1+1` against a raw websocket execute_request + reply on the same kernel;
//   - execute_notebook of 200 trivial cells against the same 200 requests on a raw websocket;
//   - add_cell / update_cell on disk (471 cells, 2.8 MB; 5,000 small cells) against a naive
//     read → JSON.parse → edit → JSON.stringify → write, and the outline read against
//     readFile + JSON.parse;
//   - with the VS Code host (bench/editor.ts, skipped with --no-host): ping inside the extension
//     host and the editor's update_cell against the raw WorkspaceEdit, paired in one loop.
import { promises as fs, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { emptyNotebook, makeCell, serializeNotebook } from '../src/notebooks/nbformat';
import { rng, writeLargeNotebook } from '../test/fixtures/generate-large';
import { startJupyterServer } from '../test/helpers/jupyter';
import { callOk, connectClient, log, row, startProductServer, stats, type Row } from './lib';
import { fetchMcp, libraryFor, rawKernel, rawMcp } from './rawClients';

const S9 = '9 targets';

/** Runs the functions in turn `n` times (after `warmup` rounds); ms of each, by function. */
async function interleaved(n: number, warmup: number, fns: Array<(i: number) => Promise<unknown>>): Promise<number[][]> {
  const xs: number[][] = fns.map(() => []);
  for (let i = -warmup; i < n; i++) {
    // Which goes first turns each round, so that none always meets another's leftovers (GC, disk).
    for (let k = 0; k < fns.length; k++) {
      const j = (i + warmup + k) % fns.length;
      const t = performance.now();
      await fns[j](i);
      if (i >= 0) xs[j].push(performance.now() - t);
    }
  }
  return xs;
}

/** Two functions interleaved (see interleaved). */
async function paired(n: number, warmup: number, a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<[number[], number[]]> {
  const [xa, xb] = await interleaved(n, warmup, [a, b]);
  return [xa, xb];
}

const p50 = (xs: number[]) => stats(xs).p50;

/** A verdict row: ours against the reference, ratio of medians. */
function vsRow(name: string, ours: number[], refName: string, ref: number[], maxRatio: number, note = ''): Row {
  const ratio = p50(ours) / p50(ref);
  return row(S9, name, ours, { peer: refName, peerValue: p50(ref), ratio, target: `≤ ${maxRatio}× ${refName}`, pass: ratio <= maxRatio, note });
}

async function mcpRoundTrip(o: { quick: boolean }): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-rt-'));
  mkdirSync(path.join(dir, 'empty'));
  const server = await startProductServer(dir);
  const sdk = await connectClient(server.url);
  const raw = await rawMcp(server.url);
  const viaFetch = await fetchMcp(server.url);
  const n = o.quick ? 200 : 1000;
  try {
    log(`targets: MCP round trip (${n} of each, interleaved)`);
    const [sdkPing, rawPing, fetchPing] = await interleaved(n, 50, [() => sdk.ping(), () => raw.request('ping'), () => viaFetch.request('ping')]);
    const list = { folder: 'empty' };
    const [sdkList, rawList] = await paired(n, 50, () => callOk(sdk, 'list_notebooks', list), () => raw.request('tools/call', { name: 'list_notebooks', arguments: list }));
    const serverList = server.toolMs.filter((t) => t.tool === 'list_notebooks').map((t) => t.ms);
    const share = (sdkXs: number[], rawXs: number[]) => `bare HTTP client p50 ${p50(rawXs).toFixed(3)} ms (the server and loopback); the SDK client adds ${(p50(sdkXs) - p50(rawXs)).toFixed(3)} ms of its own`;
    return [
      row(S9, 'MCP ping, SDK client, Streamable HTTP (standalone server)', sdkPing, { target: '≤ 0.5 ms p50', pass: p50(sdkPing) <= 0.5, note: share(sdkPing, rawPing) }),
      row(S9, 'MCP ping, bare HTTP client (keep-alive, no SDK)', rawPing, { target: '≤ 0.5 ms p50', pass: p50(rawPing) <= 0.5 }),
      row(S9, 'MCP ping, fetch client (undici, no SDK)', fetchPing, { peer: 'bare HTTP client', peerValue: p50(rawPing) }),
      row(S9, 'list_notebooks of an empty folder, SDK client', sdkList, { target: '≤ 1 ms p50', pass: p50(sdkList) <= 1, note: `${share(sdkList, rawList)}; the tool itself p50 ${p50(serverList).toFixed(3)} ms (server log)` }),
      row(S9, 'list_notebooks of an empty folder, bare HTTP client', rawList, { target: '≤ 1 ms p50', pass: p50(rawList) <= 1 }),
    ];
  } finally {
    raw.close();
    await sdk.close().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 5,000 small cells: short sources, a one-line output on each code cell (≈ 1 MB). */
function writeSmallCells(file: string, cells: number): number {
  const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' });
  const r = rng(5);
  for (let i = 0; i < cells; i++) {
    if (r() < 0.3) nb.cells.push(makeCell('markdown', `## Step ${i}\nCheck the totals.`, { id: `m${i}` }));
    else {
      const c = makeCell('code', `total_${i} = sum(range(${i}))\ntotal_${i}`, { id: `c${i}` }) as any;
      c.execution_count = i;
      c.outputs = [{ output_type: 'execute_result', execution_count: i, metadata: {}, data: { 'text/plain': [String((i * (i - 1)) / 2)] } }];
      nb.cells.push(c);
    }
  }
  const text = serializeNotebook(nb);
  writeFileSync(file, text);
  return Buffer.byteLength(text);
}

/** What a stateless file tool does per edit: read, parse, change, stringify (nbformat's indent), write. */
async function naiveEdit(file: string, change: (nb: any) => void): Promise<void> {
  const nb = JSON.parse(await fs.readFile(file, 'utf8'));
  change(nb);
  await fs.writeFile(file, JSON.stringify(nb, null, 1) + '\n');
}

async function fileEdits(o: { quick: boolean }): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-edits-'));
  const sizes = [
    { name: 'big471.ipynb', cells: 471, write: (f: string) => writeLargeNotebook(f, { cells: 471, seed: 1 }), n: o.quick ? 15 : 60 },
    { name: 'small5000.ipynb', cells: 5000, write: (f: string) => writeSmallCells(f, 5000), n: o.quick ? 10 : 40 },
  ];
  const files = sizes.map((s) => ({ ...s, bytes: s.write(path.join(dir, s.name)) }));
  for (const f of files) for (const copy of ['naive', 'bare']) copyFileSync(path.join(dir, f.name), path.join(dir, `${copy}-${f.name}`));
  const server = await startProductServer(dir);
  const client = await connectClient(server.url);
  // The same edits through a bare HTTP client (its own copy of each file): the server and loopback
  // without the SDK client's own time, as the round-trip rows show it.
  const bare = await rawMcp(server.url);
  const rows: Row[] = [];
  try {
    for (const f of files) {
      const label = `${f.cells} cells (${(f.bytes / 1e6).toFixed(1)} MB)`;
      const naive = path.join(dir, `naive-${f.name}`);
      log(`targets: edits on disk, ${label} (${f.n} of each, interleaved)`);
      await callOk(client, 'read_notebook', { path: f.name, format: 'outline' }); // the first read parses
      await bare.callTool('read_notebook', { path: `bare-${f.name}`, format: 'outline' });
      const mid = Math.floor(f.cells / 2);
      const [add, bareAdd, naiveAdd] = await interleaved(f.n, 3, [
        (i) => callOk(client, 'add_cell', { path: f.name, cell_type: 'code', source: `added_${i} = ${i}`, index: mid }),
        (i) => bare.callTool('add_cell', { path: `bare-${f.name}`, cell_type: 'code', source: `added_${i} = ${i}`, index: mid }),
        (i) => naiveEdit(naive, (nb) => nb.cells.splice(mid, 0, { cell_type: 'code', execution_count: null, id: `n${i + 10}x${Date.now()}`, metadata: {}, outputs: [], source: [`added_${i} = ${i}`] })),
      ]);
      const rand = rng(9);
      const at: number[] = Array.from({ length: f.n + 3 }, () => Math.floor(rand() * f.cells));
      const [update, bareUpdate, naiveUpdate] = await interleaved(f.n, 3, [
        (i) => callOk(client, 'update_cell', { path: f.name, index: at[i + 3], source: `# updated ${i}\ny = ${i}` }),
        (i) => bare.callTool('update_cell', { path: `bare-${f.name}`, index: at[i + 3], source: `# updated ${i}\ny = ${i}` }),
        (i) => naiveEdit(naive, (nb) => (nb.cells[at[i + 3]].source = [`# updated ${i}\n`, `y = ${i}`])),
      ]);
      const [outline, parse] = await paired(f.n, 3, () => callOk(client, 'read_notebook', { path: f.name, format: 'outline' }), async () => JSON.parse(await fs.readFile(naive, 'utf8')));
      // The server's own time per call (its log line): what is left after HTTP and the client.
      const own = (tool: string, n: number) => `server-side p50 ${p50(server.toolMs.filter((t) => t.tool === tool).slice(-n).map((t) => t.ms)).toFixed(2)} ms`;
      const policy = 'ours: MCP call over HTTP, the new file cut from the last one written (changed cells encoded) into a temp file, fdatasync, rename; naive: in-process, writeFile, no fsync';
      rows.push(vsRow(`${label}: add_cell on disk`, add, 'naive read-parse-stringify-write', naiveAdd, 0.2, `${own('add_cell', 2 * f.n)} (both clients); ${policy}`));
      rows.push(vsRow(`${label}: add_cell on disk, bare HTTP client`, bareAdd, 'naive read-parse-stringify-write', naiveAdd, 0.2));
      rows.push(vsRow(`${label}: update_cell on disk`, update, 'naive read-parse-stringify-write', naiveUpdate, 0.2, `${own('update_cell', 2 * f.n)} (both clients); ${policy}`));
      rows.push(vsRow(`${label}: update_cell on disk, bare HTTP client`, bareUpdate, 'naive read-parse-stringify-write', naiveUpdate, 0.2));
      rows.push(vsRow(`${label}: read_notebook outline`, outline, 'readFile + JSON.parse', parse, 0.3, `${own('read_notebook', f.n)}; ours: MCP call over HTTP, notebook cached; reference: in-process`));
    }
  } finally {
    bare.close();
    await client.close().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** A @jupyterlab/services KernelConnection to a running kernel, as the product's backend makes them. */
async function libraryKernel(url: string, token: string, id: string): Promise<{ execute(code: string): Promise<unknown>; close(): void }> {
  const { S, settings: serverSettings } = libraryFor(url, token);
  const conn = new S.KernelConnection({ model: { id, name: 'python3' }, serverSettings });
  await conn.info;
  return { execute: (code) => conn.requestExecute({ code }).done, close: () => conn.dispose() };
}

async function kernelPaths(o: { quick: boolean }): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-kt-'));
  const jupyter = await startJupyterServer({ rootDir: dir });
  const server = await startProductServer(dir, ['--url', jupyter.url, '--token', jupyter.token]);
  const client = await connectClient(server.url);
  const rows: Row[] = [];
  try {
    const { kernel_id } = (await callOk(client, 'start_kernel', {})).structuredContent;
    const raw = await rawKernel(jupyter.url, jupyter.token, kernel_id);
    const n = o.quick ? 50 : 200;
    log(`targets: execute_cell 1+1 against a raw websocket, same kernel (${n} of each, interleaved)`);
    // The library the product's Jupyter backend is built on, on the same kernel: splits what we
    // add into the library's share and ours.
    const lib = await libraryKernel(jupyter.url, jupyter.token, kernel_id);
    // And through a bare HTTP client, as the round-trip rows: our server without the SDK client.
    const bare = await rawMcp(server.url);
    const [cell, rawCell, libCell, bareCell] = await interleaved(n, 10, [
      () => callOk(client, 'execute_cell', { kernel_id, code: '1+1' }),
      () => raw.execute(['1+1']),
      () => lib.execute('1+1'),
      () => bare.callTool('execute_cell', { kernel_id, code: '1+1' }),
    ]);
    bare.close();
    const serverCell = p50(server.toolMs.filter((t) => t.tool === 'execute_cell').slice(-2 * n).map((t) => t.ms));
    rows.push(vsRow('execute_cell `1+1`', cell, 'raw websocket + pong', rawCell, 1.2, `stock jupyter_server (no TCP_NODELAY); +${(p50(cell) - p50(rawCell)).toFixed(2)} ms of ours per call, of which @jupyterlab/services requestExecute (same kernel, ws + pong) +${(p50(libCell) - p50(rawCell)).toFixed(2)} ms; server-side p50 ${serverCell.toFixed(2)} ms, both clients (the rest is HTTP and the client)`));
    rows.push(vsRow('execute_cell `1+1`, bare HTTP client', bareCell, 'raw websocket + pong', rawCell, 1.2));
    rows.push(row(S9, 'direct @jupyterlab/services requestExecute `1+1` (ws + pong), same kernel', libCell, { peer: 'raw websocket + pong', peerValue: p50(rawCell) }));
    raw.close();
    lib.close();

    const cells = 200;
    const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' });
    const codes = Array.from({ length: cells }, (_, i) => `x = ${i}\nx`);
    codes.forEach((c, i) => nb.cells.push(makeCell('code', c, { id: `c${i}` })));
    writeFileSync(path.join(dir, 'two-hundred.ipynb'), serializeNotebook(nb));
    const first = await callOk(client, 'execute_notebook', { path: 'two-hundred.ipynb' });
    if (!first.structuredContent.success) throw new Error(`execute_notebook: ${first.structuredContent.message}`);
    const nbKernel = first.structuredContent.kernel_id;
    const rawNb = await rawKernel(jupyter.url, jupyter.token, nbKernel);
    const runs = o.quick ? 3 : 9;
    log(`targets: execute_notebook of ${cells} cells against the same ${cells} requests on a raw websocket (${runs} of each, interleaved)`);
    const [run, rawRun] = await paired(
      runs,
      1,
      async () => {
        const r = await callOk(client, 'execute_notebook', { path: 'two-hundred.ipynb' });
        if (!r.structuredContent.success || r.structuredContent.kernel_id !== nbKernel) throw new Error(`execute_notebook: ${r.structuredContent.message ?? 'another kernel'}`);
      },
      () => rawNb.execute(codes),
    );
    rows.push(vsRow(`execute_notebook, ${cells} trivial cells (outputs saved)`, run, 'kernel alone (raw websocket, requests sent at once, nothing saved)', rawRun, 1.1, `${((p50(run) - p50(rawRun)) / cells).toFixed(2)} ms per cell of ours`));
    rawNb.close();
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
    await jupyter.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The editor verdicts from a bench/editor.ts run (real VS Code host): its paired update loop. */
export function editorTargetRows(extra: Record<string, unknown> | undefined, notMeasured?: string): Row[] {
  const p = (extra as any)?.paired?.update;
  if (!p) return [{ scenario: S9, case: 'editor rows (VS Code host)', note: `NOT MEASURED: ${notMeasured ?? (extra as any)?.notMeasured ?? 'bench/editor.ts reported no paired update loop'}` }];
  const dist = (name: string, s: any, extra: Partial<Row>): Row => ({ scenario: S9, case: name, n: s.n, p50: s.p50, p95: s.p95, max: s.max, ...extra });
  return [
    dist('MCP ping inside the VS Code extension host (fetch client in the host)', p.ping, { target: '≤ 0.5 ms p50', pass: p.ping.p50 <= 0.5 }),
    dist('editor update_cell, 471 cells open, saveAfterEdit off', p.mcp, {
      peer: 'raw WorkspaceEdit, same loop',
      peerValue: p.raw.p50,
      ratio: p.mcp.p50 / p.raw.p50,
      target: '≤ 1.2× raw WorkspaceEdit',
      pass: p.mcp.p50 <= 1.2 * p.raw.p50,
      note: `without the round trip (ping) ${((p.mcp.p50 - p.ping.p50) / p.raw.p50).toFixed(2)}× raw; median of per-pair ratios ${Number(p.pairRatio).toFixed(2)}×`,
    }),
  ];
}

/**
 * `editor`: the details of a bench/editor.ts run made earlier in this run (scenario 2), "run" to
 * run it here, "skip" (--no-host) to leave the editor rows out.
 */
export async function runTargets(o: { quick: boolean; editor: Record<string, unknown> | 'run' | 'skip' }): Promise<{ rows: Row[] }> {
  const rows: Row[] = [];
  // A part that fails leaves a row saying so; the others still measure.
  for (const [name, part] of [['MCP round trip', mcpRoundTrip], ['kernel paths', kernelPaths], ['edits on disk', fileEdits]] as const) {
    try {
      rows.push(...(await part(o)));
    } catch (e) {
      log(`targets: ${name} FAILED: ${(e as Error).stack}`);
      rows.push({ scenario: S9, case: `${name}: part failed`, note: (e as Error).message.split('\n')[0] });
    }
  }
  if (o.editor === 'skip') rows.push(...editorTargetRows(undefined, 'left out of this run (--no-host)'));
  else if (o.editor === 'run') {
    const { runEditor } = await import('./editor');
    rows.push(...editorTargetRows((await runEditor({ quick: o.quick })).extra));
  } else rows.push(...editorTargetRows(o.editor));
  return { rows };
}
