// Scenario 1 (file notebooks through MCP over HTTP) and scenario 7 (context cost).
// The product runs as `node dist/cli.js` in its own process (durable writes: temp file + fsync +
// rename); a real SDK client drives it over Streamable HTTP. Peers: the figures in-editor tools
// publish for 471 cells (in memory, no file write), and Jupyter's nbformat doing read → edit → write
// per call (what a stateless file tool does), timed in-process.
import { spawnSync } from 'child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { parseNotebook, joinSource } from '../src/notebooks/nbformat';
import { rng, writeLargeNotebook } from '../test/fixtures/generate-large';
import { callOk, connectClient, log, row, startProductServer, stats, timeRuns, type Row } from './lib';

const PYTHON = '/usr/bin/python3';
const S1 = '1 files/MCP';
const S7 = '7 context';

export interface FilesOptions {
  quick: boolean;
  /** Also measure scenario 7 on the 471-cell notebook. */
  context: boolean;
}

interface Size {
  cells: number;
  reads: number;
  fullReads: number;
  edits: number;
  peerRuns: number;
  peerOps: string[];
}

export async function runFiles(o: FilesOptions): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const sizes: Size[] = [
    { cells: 471, reads: o.quick ? 20 : 100, fullReads: o.quick ? 5 : 20, edits: o.quick ? 20 : 100, peerRuns: o.quick ? 2 : 5, peerOps: ['read', 'add', 'update', 'move'] },
    { cells: 10_000, reads: o.quick ? 5 : 20, fullReads: o.quick ? 2 : 3, edits: o.quick ? 5 : 20, peerRuns: 1, peerOps: ['read', 'add'] },
  ];
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  for (const size of sizes) {
    const r = await oneSize(size, o.context && size.cells === 471);
    rows.push(...r.rows);
    extra[`cells_${size.cells}`] = r.extra;
  }
  return { rows, extra };
}

async function oneSize(size: Size, withContext: boolean): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-files-'));
  const file = path.join(dir, 'big.ipynb');
  const bytes = writeLargeNotebook(file, { cells: size.cells, seed: 1 });
  const mb = bytes / 1e6;
  const label = `${size.cells} cells (${mb.toFixed(1)} MB)`;
  log(`files: ${label}`);
  copyFileSync(file, path.join(dir, 'peer.ipynb'));
  const rows: Row[] = [];
  const extra: Record<string, unknown> = { bytes };
  const server = await startProductServer(dir);
  const client = await connectClient(server.url);
  const nb = 'big.ipynb';
  const small = size.cells <= 1000;
  try {
    const baseline = server.rssMB();
    const peakResettable = server.resetPeak();
    extra.baselineRssMB = baseline;
    if (small) {
      // The floor of any call: an MCP ping over the same session (HTTP + SSE + SDK client).
      rows.push(row(S1, 'MCP round trip floor: ping (SDK client, Streamable HTTP)', await timeRuns(100, () => client.ping(), 10)));
    }
    // First touch: stat + read + JSON.parse + validate (the cache is cold).
    const cold = await timeRuns(1, () => callOk(client, 'read_notebook', { path: nb, format: 'outline' }));
    rows.push(row(S1, `${label}: first read (parse, cold cache)`, cold));

    const outline = await timeRuns(size.reads, () => callOk(client, 'read_notebook', { path: nb, format: 'outline' }));
    rows.push(row(S1, `${label}: read_notebook outline`, outline, small ? { target: '≤ 1 ms p50', pass: stats(outline).p50 <= 1, peer: 'in-editor read (published)', peerValue: 1 } : {}));
    const outlinePage = await timeRuns(size.reads, () => callOk(client, 'read_notebook', { path: nb, format: 'outline', start_index: 0, limit: 50 }));
    rows.push(row(S1, `${label}: read_notebook outline, page of 50`, outlinePage, small ? { peer: 'in-editor read (published)', peerValue: 1 } : {}));
    const full = await timeRuns(size.fullReads, () => callOk(client, 'read_notebook', { path: nb, format: 'full' }));
    rows.push(row(S1, `${label}: read_notebook full`, full, small ? { peer: 'in-editor read (published)', peerValue: 1 } : {}));

    // Edits. Each one is durably written (temp file, fdatasync, rename) before the call returns.
    // Outline entries are lines ("[3] ab12cd34 code 5L …", the id second) since issue #19.
    const ids: string[] = (await callOk(client, 'read_notebook', { path: nb, format: 'outline' })).structuredContent.outline.map((c: any) =>
      typeof c === 'string' ? /^\[\d+\] (\S+)/.exec(c)?.[1] : c.id,
    );
    if (ids.length === 0 || ids.some((id) => !id)) throw new Error('no cell ids in the outline');
    const rand = rng(42);
    const serverMs = (tool: string) => {
      const xs = server.toolMs.filter((t) => t.tool === tool).map((t) => t.ms);
      return xs.length ? stats(xs.slice(-size.edits)).p50 : NaN;
    };
    const editTarget = small ? '≤ 5 ms p50, durable' : '≤ 100 ms p50, durable';
    const editLimit = small ? 5 : 100;
    const editPeer = small ? { peer: 'in-editor insert/edit (published, in memory)', peerValue: 7 } : {};
    let added = 0;
    const add = await timeRuns(size.edits, async (i) => {
      await callOk(client, 'add_cell', { path: nb, cell_type: 'code', source: `bench_add_${i} = ${i}\nprint(bench_add_${i})`, index: Math.floor(ids.length / 2) });
      added++;
    });
    rows.push(row(S1, `${label}: add_cell`, add, { ...editPeer, target: editTarget, pass: stats(add).p50 <= editLimit, note: `server-side p50 ${serverMs('add_cell').toFixed(2)} ms` }));
    let lastUpdate = { id: '', source: '' };
    const update = await timeRuns(size.edits, async (i) => {
      const id = ids[Math.floor(rand() * ids.length)];
      const source = `# updated ${i}\ny = ${i} * 2`;
      await callOk(client, 'update_cell', { path: nb, cell_id: id, source });
      lastUpdate = { id, source };
    });
    rows.push(row(S1, `${label}: update_cell`, update, { ...editPeer, target: editTarget, pass: stats(update).p50 <= editLimit, note: `server-side p50 ${serverMs('update_cell').toFixed(2)} ms` }));
    const move = await timeRuns(size.edits, () =>
      callOk(client, 'move_cell', { path: nb, cell_id: ids[Math.floor(rand() * ids.length)], to_index: Math.floor(rand() * ids.length) }),
    );
    rows.push(row(S1, `${label}: move_cell`, move, { ...editPeer, note: `server-side p50 ${serverMs('move_cell').toFixed(2)} ms` }));

    const peak = server.peakMB();
    const delta = peak - baseline;
    extra.peakRssMB = peak;
    rows.push({
      scenario: S1,
      case: `${label}: server peak RSS above idle (reads + edits)`,
      value: delta,
      unit: 'MB',
      memMB: delta,
      target: '≤ 3× notebook size',
      pass: peakResettable ? delta <= 3 * mb : undefined,
      note:
        `idle ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, ratio ${(delta / mb).toFixed(2)}× the file${peakResettable ? '' : ' (peak not resettable: includes start-up)'}; ` +
        'a full read answers with the notebook twice (text and structuredContent) on top of the notebook held',
    });

    // Zero lost edits, on disk.
    const onDisk = parseNotebook(readFileSync(path.join(dir, nb), 'utf8'), nb);
    const expectCells = size.cells + added;
    const updated = onDisk.cells.find((c) => c.id === lastUpdate.id);
    const durableOk = onDisk.cells.length === expectCells && !!updated && joinSource(updated.source) === lastUpdate.source;
    extra.onDiskCheck = { cells: onDisk.cells.length, expected: expectCells, lastUpdateFound: !!updated && joinSource(updated.source) === lastUpdate.source };
    if (!durableOk) throw new Error(`file check failed after the edits: ${JSON.stringify(extra.onDiskCheck)}`);

    if (withContext) rows.push(...(await context(client, nb, label)));
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
  }

  rows.push(...(await memoryOfEdits(dir, size, label, mb)));

  // Peer: nbformat read → edit → write per call.
  log(`files: ${label}: python nbformat peer (${size.peerRuns} run(s) of ${size.peerOps.join(',')})`);
  const p = spawnSync(PYTHON, [path.join(__dirname, 'peer_nbformat.py'), path.join(dir, 'peer.ipynb'), String(size.peerRuns), size.peerOps.join(',')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (p.status === 0) {
    const times = JSON.parse(p.stdout) as Record<string, number[]>;
    const ours: Record<string, Row | undefined> = {
      read: rows.find((r) => r.case.endsWith('read_notebook full')),
      add: rows.find((r) => r.case.endsWith('add_cell')),
      update: rows.find((r) => r.case.endsWith('update_cell')),
      move: rows.find((r) => r.case.endsWith('move_cell')),
    };
    for (const [op, xs] of Object.entries(times)) {
      const s = stats(xs);
      const mine = ours[op];
      rows.push(
        row(S1, `${label}: peer nbformat ${op === 'read' ? 'read' : `read→${op}→write`} (python)`, xs, {
          note: mine?.p50 ? (s.p50 >= mine.p50 ? `ours ${(s.p50 / mine.p50).toFixed(1)}× faster at p50` : `ours ${(mine.p50 / s.p50).toFixed(1)}× slower at p50 (in-process parse vs a full MCP answer)`) : undefined,
        }),
      );
    }
  } else {
    rows.push({ scenario: S1, case: `${label}: peer nbformat (python)`, note: `not measured: ${(p.stderr || p.error?.message || '').split('\n').slice(-3).join(' ')}` });
  }
  rmSync(dir, { recursive: true, force: true });
  return { rows, extra };
}

/**
 * Memory of what an agent editing the notebook costs: a fresh server whose first call is an edit
 * (load + parse + first write), then the same edits as above. A fresh process, because V8 keeps the
 * heap it grew for earlier full reads, so a peak measured after them says nothing about edits. The
 * same calls on a 3-cell notebook give the control: what the server grows by whatever the notebook.
 */
async function memoryOfEdits(dir: string, size: Size, label: string, mb: number): Promise<Row[]> {
  const tiny = 'tiny.ipynb';
  writeLargeNotebook(path.join(dir, tiny), { cells: 3, seed: 2 });
  const run = async (nb: string, cells: number) => {
    const server = await startProductServer(dir);
    const client = await connectClient(server.url);
    try {
      await client.ping();
      const baseline = server.rssMB();
      const resettable = server.resetPeak();
      for (let i = 0; i < size.edits; i++) {
        if (i % 2 === 0) await callOk(client, 'add_cell', { path: nb, cell_type: 'code', source: `mem_${i} = ${i}`, index: Math.floor(cells / 2) });
        else await callOk(client, 'update_cell', { path: nb, index: i % cells, source: `# mem ${i}\nz = ${i}` });
      }
      return { delta: server.peakMB() - baseline, resettable };
    } finally {
      await client.close().catch(() => undefined);
      await server.stop();
    }
  };
  const big = await run('big.ipynb', size.cells);
  const control = await run(tiny, 3);
  return [
    {
      scenario: S1,
      case: `${label}: server peak RSS above idle, fresh server: load + ${size.edits} edits`,
      value: big.delta,
      unit: 'MB',
      memMB: big.delta,
      target: '≤ 3× notebook size',
      pass: big.resettable ? big.delta <= 3 * mb : undefined,
      note:
        `ratio ${(big.delta / mb).toFixed(2)}× the file; the same calls on a 3-cell notebook: ${control.delta.toFixed(1)} MB ` +
        `(V8 heap growth whatever the notebook), so ${((big.delta - control.delta) / mb).toFixed(2)}× net of it`,
    },
  ];
}

/** Scenario 7 alone (--only context): the tool list and reads of the 471-cell notebook. */
export async function runContext(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-ctx-'));
  const bytes = writeLargeNotebook(path.join(dir, 'big.ipynb'), { cells: 471, seed: 1 });
  const server = await startProductServer(dir);
  const client = await connectClient(server.url);
  try {
    return await context(client, 'big.ipynb', `471 cells (${(bytes / 1e6).toFixed(1)} MB)`);
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Scenario 7: what the model pays in context for the tool list and for reading the notebook. */
async function context(client: Awaited<ReturnType<typeof connectClient>>, nb: string, label: string): Promise<Row[]> {
  const tok = (chars: number) => Math.round(chars / 4);
  const list = await client.listTools();
  const listChars = JSON.stringify(list.tools).length;
  // What VS Code and Claude Code put in front of the model for each tool: name, description, input
  // schema (output schemas, annotations and titles stay with the client).
  const modelChars = JSON.stringify(list.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema }))).length;
  const textOf = (r: any) => (r.content ?? []).filter((c: any) => c.type === 'text').map((c: any) => c.text).join('\n').length;
  const outline = await callOk(client, 'read_notebook', { path: nb, format: 'outline' });
  const full = await callOk(client, 'read_notebook', { path: nb });
  const fullNoOut = await callOk(client, 'read_notebook', { path: nb, include_outputs: false });
  const page = await callOk(client, 'read_notebook', { path: nb, format: 'outline', limit: 50 });
  const sizeRow = (name: string, r: any, extra: Partial<Row> = {}): Row => {
    const text = textOf(r);
    const all = JSON.stringify(r).length;
    return { scenario: S7, case: name, value: tok(text), unit: 'tokens', note: `${text.toLocaleString('en')} chars of text content; whole result incl. structuredContent ${all.toLocaleString('en')} chars`, ...extra };
  };
  return [
    {
      scenario: S7,
      case: `tools/list (${list.tools.length} tools), what the model receives`,
      value: tok(modelChars),
      unit: 'tokens',
      target: '≤ 4,000 tokens',
      pass: tok(modelChars) <= 4000,
      note: `${modelChars.toLocaleString('en')} chars of JSON: each tool's name, description and input schema`,
    },
    {
      scenario: S7,
      case: `tools/list (${list.tools.length} tools), the whole answer`,
      value: tok(listChars),
      unit: 'tokens',
      note: `${listChars.toLocaleString('en')} chars of JSON (also titles, annotations, output schemas, task support)`,
    },
    sizeRow(`read_notebook outline, ${label}`, outline),
    sizeRow(`read_notebook outline, first 50 cells`, page),
    sizeRow(`read_notebook full, ${label}`, full, { peer: 'outline', peerValue: tok(textOf(outline)), ratio: textOf(full) / textOf(outline) }),
    sizeRow(`read_notebook full, include_outputs false`, fullNoOut),
  ];
}
