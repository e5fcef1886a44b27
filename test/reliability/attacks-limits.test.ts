// Issue #18, items 4, 5 and 6: whatever can be large is bounded or done in time slices.
// - Item 4: search_notebooks over a 300,000-cell notebook, and read_output paging through a 52 MB
//   output, while another client pings (the standalone server as a child process: its event loop
//   is its own). Each call held the loop 0.2-0.8 s in one piece before.
// - Item 5: read_output of a 40-megapixel PNG (over --max-image-kb) decoded it on every call
//   (2.4 s, ≈ 600 MB); now its header is read and the image described.
// - Item 6: MCP Tasks with ttl 0, negative or ≥ 2^31 ms, a session's task count, tasks outliving
//   their session (in-process, a real Jupyter server, a real client that creates tasks).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'fs';
import * as path from 'path';
import { deflateSync } from 'zlib';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateTaskResultSchema, GetTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks/types.js';
import { call, connectClient } from '../helpers/mcp';
import { useRealJupyter } from '../helpers/realJupyter';
import { rssKb, sleep, startCli, tempDir, type Cli } from '../helpers/reliability';
import { checkPings, startPinger } from '../helpers/pings';
import { runRegistry } from '../../src/runs/registry';

const CELLS = Number(process.env.SEARCH_CELLS ?? 300_000);

/** nbformat 4.4 markdown cells, byte for byte as Jupyter writes them (as huge-notebook.test.ts). */
function manyCells(cells: number): string {
  const parts: string[] = ['{\n "cells": [\n'];
  for (let i = 0; i < cells; i++) parts.push(`  {\n   "cell_type": "markdown",\n   "metadata": {},\n   "source": [\n    "Cell ${i}"\n   ]\n  }`, i < cells - 1 ? ',\n' : '\n');
  parts.push(' ],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 4\n}\n');
  return parts.join('');
}

/** One code cell whose stream output is `lines` lines of 52 characters (every 1000th coloured). */
function bigOutput(lines: number): { json: string; line: (i: number) => string } {
  // 52 characters as the model reads them; every 1000th line has colour codes around its step.
  const line = (i: number) => {
    const n = String(i).padStart(8, '0');
    const step = i % 1000 === 0 ? `\u001b[31mstep ${n}\u001b[0m` : `step ${n}`;
    return `${step} loss 0.${n} ok${'.'.repeat(19)}\n`;
  };
  const text = Array.from({ length: lines }, (_, i) => line(i));
  const nb = {
    cells: [{ cell_type: 'code', execution_count: 1, id: 'big', metadata: {}, outputs: [{ name: 'stdout', output_type: 'stream', text }], source: ['train()'] }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  // eslint-disable-next-line no-control-regex
  return { json: JSON.stringify(nb, null, 1), line: (i) => line(i).replace(/\u001b\[[0-9;]*m/g, '') };
}

/** A grayscale PNG of width × height, all black: a few KB on disk, `width * height` pixels to decode. */
function blackPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const raw = Buffer.alloc((width + 1) * height); // filter byte 0 and black pixels, row after row
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

describe('large notebooks, outputs and images (issue #18 items 4 and 5; the CLI as a child process)', () => {
  // Two servers, each holding one kind of large input: one process holding both (≈ 1 GB) makes
  // garbage collections long enough to show in the pings by themselves.
  let many: { root: string; cleanup(): void };
  let logs: { root: string; cleanup(): void };
  let cliMany: Cli;
  let cli: Cli;
  let clientMany: Client;
  let client: Client;
  let big: ReturnType<typeof bigOutput>;
  const LINES = 1_000_000; // 52 MB of text

  before(async () => {
    many = tempDir('jmcp-limits-many-');
    logs = tempDir('jmcp-limits-logs-');
    writeFileSync(path.join(many.root, 'many.ipynb'), manyCells(CELLS));
    big = bigOutput(LINES);
    writeFileSync(path.join(logs.root, 'log.ipynb'), big.json);
    const png = blackPng(8000, 5000).toString('base64');
    const nb = {
      cells: [{ cell_type: 'code', execution_count: 1, id: 'plot', metadata: {}, outputs: [{ output_type: 'display_data', data: { 'image/png': png, 'text/plain': ['<Figure size 80000x50000 with 1 Axes>'] }, metadata: {} }], source: ['plot()'] }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    };
    writeFileSync(path.join(logs.root, 'plot.ipynb'), JSON.stringify(nb, null, 1));
    cliMany = await startCli(['--port', '0', '--root', many.root, '--offline'], { timeoutMs: 60_000 });
    clientMany = await connectClient(cliMany.url);
    // --max-image-kb 4: the PNG (a few KB of zeros compressed) is over the limit, so it would be fitted.
    cli = await startCli(['--port', '0', '--root', logs.root, '--offline', '--max-image-kb', '4'], { timeoutMs: 60_000 });
    client = await connectClient(cli.url);
    // Parsed once before the measured part (parsing is already sliced; that is huge-notebook.test.ts).
    for (const [c, p] of [[clientMany, 'many.ipynb'], [client, 'log.ipynb'], [client, 'plot.ipynb']] as const) {
      const r = await call(c, 'read_notebook', { path: p, format: 'outline' }, { timeout: 300_000 });
      assert.equal(r.isError, false, r.text);
    }
  });
  after(async () => {
    await clientMany?.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    await cliMany?.stop();
    await cli?.stop();
    many?.cleanup();
    logs?.cleanup();
  });

  test(`item 4: search_notebooks over ${CELLS.toLocaleString('en')} cells leaves the server answering`, async () => {
    const pinger = await startPinger(cliMany.port);
    try {
      for (let round = 0; round < 2; round++) {
        const none = await call(clientMany, 'search_notebooks', { query: 'no such text anywhere', include_outputs: true }, { timeout: 300_000 });
        assert.equal(none.isError, false, none.text);
        assert.equal(none.structured.matches.length, 0);
        const last = await call(clientMany, 'search_notebooks', { path: 'many.ipynb', query: `Cell ${CELLS - 1}` }, { timeout: 300_000 });
        assert.equal(last.structured.matches[0]?.cell_index, CELLS - 1, last.text);
      }
    } finally {
      const { times, failures } = await pinger.stop();
      assert.deepEqual(failures, []);
      checkPings(`pings while searching ${CELLS.toLocaleString('en')} cells`, times);
    }
  });

  test('item 4: search_notebooks and read_output pages through a 52 MB output leave the server answering', async () => {
    const pinger = await startPinger(cli.port);
    try {
      for (let round = 0; round < 2; round++) {
        const inLog = await call(client, 'search_notebooks', { query: 'step 00999999', include_outputs: true }, { timeout: 300_000 });
        assert.equal(inLog.structured.matches[0]?.line, LINES, inLog.text);
      }
      for (const line of [0, 200_000, 400_000, 600_000, 800_000, 999_990]) {
        const offset = line * 52;
        const page = await call(client, 'read_output', { path: 'log.ipynb', cell_id: 'big', output_index: 0, offset }, { timeout: 300_000 });
        assert.equal(page.isError, false, page.text);
        assert.equal(page.structured.total_chars, LINES * 52);
        assert.ok(page.structured.text.startsWith(big.line(line)), `page at line ${line}: ${page.structured.text.slice(0, 80)}`);
      }
    } finally {
      const { times, failures } = await pinger.stop();
      assert.deepEqual(failures, []);
      checkPings('pings while searching and paging a 52 MB output', times);
    }
  });

  test('item 5: a 40-megapixel PNG is described from its header, never decoded', async () => {
    const pinger = await startPinger(cli.port);
    const rssBefore = rssKb(cli.proc.pid!);
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(cli.proc.pid!))), 50);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await call(client, 'read_output', { path: 'plot.ipynb', cell_id: 'plot', output_index: 0 }, { timeout: 120_000 });
        assert.equal(r.isError, false, r.text);
        assert.match(r.structured.image, /8000×5000.*too large to downscale here \(40\.0 megapixels; the limit is 8\)/, r.structured.image);
        assert.equal(r.content.filter((c: { type: string }) => c.type === 'image').length, 0);
      }
    } finally {
      clearInterval(sampler);
      const { times, failures } = await pinger.stop();
      assert.deepEqual(failures, []);
      console.log(`server RSS ${Math.round(rssBefore / 1024)} MiB -> peak ${Math.round(peak / 1024)} MiB over three reads of the 40-megapixel PNG`);
      checkPings('pings while the 40-megapixel PNG was read', times);
    }
    assert.ok(peak - rssBefore < 100 * 1024, `the server grew by ${Math.round((peak - rssBefore) / 1024)} MiB`);
  });
});

describe('MCP Tasks are bounded (issue #18 item 6)', () => {
  const rj = useRealJupyter();
  let kernelId: string;

  before(async () => {
    const k = await call(rj.client, 'start_kernel');
    assert.equal(k.isError, false, k.text);
    kernelId = k.structured.kernel_id;
  });

  async function createTask(c: Client, ttl: number, code = 'pass'): Promise<{ taskId: string; ttl: number | null }> {
    const r = await c.request({ method: 'tools/call', params: { name: 'execute_cell', arguments: { kernel_id: kernelId, code }, task: { ttl } } }, CreateTaskResultSchema);
    return r.task;
  }

  test('ttl 0, negative, tiny or beyond 2^31 ms: a ttl within a minute and a day; the task is still there', async () => {
    const c = await connectClient(rj.server.url);
    try {
      const granted: Record<string, number | null> = {};
      for (const ttl of [0, -5, 1, 2 ** 31 + 5, 1e15]) {
        const t = await createTask(c, ttl);
        granted[String(ttl)] = t.ttl;
        await sleep(300);
        // Before, a ttl ≥ 2^31 ms overflowed the timer: the task was gone at once.
        const got = await c.request({ method: 'tasks/get', params: { taskId: t.taskId } }, GetTaskResultSchema);
        assert.equal(got.taskId, t.taskId);
      }
      assert.deepEqual(granted, { '0': 1_800_000, '-5': 1_800_000, '1': 60_000, [String(2 ** 31 + 5)]: 86_400_000, '1000000000000000': 86_400_000 });
    } finally {
      await c.close();
    }
  });

  /** Tasks the server keeps: of one session, or (no session) all of them, through the store's own listing. */
  async function countTasks(sessionId?: string): Promise<number> {
    const store = runRegistry(rj.server.context).tasks;
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await store.listTasks(cursor, sessionId);
      n += page.tasks.length;
      cursor = page.nextCursor;
    } while (cursor);
    return n;
  }

  test('a session keeps at most 100 tasks (the oldest finished go first), and its tasks go with it', async () => {
    const tasks = { count: countTasks };
    const c = await connectClient(rj.server.url);
    const before = await tasks.count();
    let lastId = '';
    for (let i = 0; i < 130; i++) lastId = (await createTask(c, 0)).taskId;
    // Wait until the last one has run (they run in order on the kernel).
    for (let i = 0; i < 200; i++) {
      const got = await c.request({ method: 'tasks/get', params: { taskId: lastId } }, GetTaskResultSchema);
      if (got.status !== 'working') break;
      await sleep(100);
    }
    const sessionId = (c.transport as StreamableHTTPClientTransport).sessionId!;
    const kept = await tasks.count(sessionId);
    assert.ok(kept <= 100, `${kept} tasks kept for one session`);
    await (c.transport as StreamableHTTPClientTransport).terminateSession();
    await c.close();
    // The session's DELETE closes its server, which forgets its tasks.
    for (let i = 0; i < 50 && (await tasks.count(sessionId)) > 0; i++) await sleep(50);
    assert.equal(await tasks.count(sessionId), 0, 'tasks outlived their session');
    const after = await tasks.count();
    assert.ok(after <= before, `${after} tasks kept after the session closed (${before} before)`);
  });
});
