// Load: a bounded soak of the standalone server (a child process, so its memory is its own): 16
// concurrent sessions with mixed notebook tools, and a few running code on a real Jupyter server,
// for SOAK_SECONDS (default 60, at most 120). No call may fail; memory must stay flat; afterwards
// no session or kernel is left. Loopback only.
// Memory is judged on what a leak moves and garbage does not: the live heap after each full
// collection (the server runs with --trace-gc), and the resident size's low points. A single
// late RSS sample is mostly where the collector's sawtooth happens to be (±50 MB at 450 calls/s),
// which failed a CI run without a leak.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'fs';
import * as path from 'path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call } from '../helpers/mcp';
import { newToken, raw, rng, rssKb, schemaErrors, sleep, startCli, startJupyterAt, tempDir, settledTempFiles, type Cli, type FixedJupyter } from '../helpers/reliability';
import { freePort } from '../../src/kernels/localServer';
import { emptyNotebook, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';

const SECONDS = Math.min(120, Number(process.env.SOAK_SECONDS ?? 60));
const SESSIONS = 16;
const EXECUTORS = 3;

describe(`soak: ${SESSIONS} sessions for ${SECONDS} s`, () => {
  let ws: { root: string; cleanup(): void };
  let home: { root: string; cleanup(): void };
  let jupyter: FixedJupyter;
  let cli: Cli;
  const token = newToken();

  before(async () => {
    ws = tempDir('jmcp-rel-soak-');
    home = tempDir('jmcp-rel-soak-home-');
    for (let i = 0; i < 4; i++) {
      const nb = emptyNotebook({ name: 'python3' });
      for (let k = 0; k < 40; k++) nb.cells.push(makeCell(k % 3 ? 'code' : 'markdown', `# shared ${i} cell ${k}\nx = ${k}\n`, { id: `s${i}-${k}` }));
      writeFileSync(path.join(ws.root, `shared${i}.ipynb`), serializeNotebook(nb));
    }
    jupyter = await startJupyterAt({ port: await freePort(), token, rootDir: ws.root, home: home.root });
    cli = await startCli(['--port', '0', '--root', ws.root, '--url', jupyter.url, '--token', token], { nodeArgs: ['--trace-gc'] });
  });
  after(async () => {
    await cli?.stop();
    await jupyter?.stop();
    ws?.cleanup();
    home?.cleanup();
  });

  test('no errors, flat memory, everything cleaned up', async () => {
    const pid = cli.proc.pid!;
    const transports = Array.from({ length: SESSIONS }, () => new StreamableHTTPClientTransport(new URL(cli.url)));
    const clients = transports.map((_, i) => new Client({ name: `soak-${i}`, version: '1' }));
    await Promise.all(clients.map((c, i) => c.connect(transports[i])));
    const kernels: string[] = [];
    for (let i = 0; i < EXECUTORS; i++) {
      const k = await call(clients[i], 'start_kernel', {});
      assert.equal(k.isError, false, k.text);
      kernels.push(k.structured.kernel_id);
    }
    const errors: string[] = [];
    const counts: Record<string, number> = {};
    const rss: Array<[number, number]> = [];
    const started = Date.now();
    const end = started + SECONDS * 1000;
    // Where the GC trace stood when the warm-up ended.
    let traceAtWarm = -1;
    const sampler = setInterval(() => {
      const s = Math.round((Date.now() - started) / 1000);
      rss.push([s, rssKb(pid)]);
      if (traceAtWarm < 0 && s >= SECONDS / 4) traceAtWarm = cli.stdout().length;
    }, 2000);
    const session = async (i: number) => {
      const r = rng(1000 + i);
      const c = clients[i];
      const own = `own${i}.ipynb`;
      const ids: string[] = [];
      const run = async (tool: string, args: Record<string, unknown>) => {
        const res = await call(c, tool, args, { timeout: 60_000 }).catch((e) => ({ isError: true, text: String(e), structured: undefined }));
        counts[tool] = (counts[tool] ?? 0) + 1;
        if (res.isError) errors.push(`${tool} ${JSON.stringify(args).slice(0, 80)}: ${res.text.slice(0, 200)}`);
        return res.structured;
      };
      await run('create_notebook', { path: own });
      while (Date.now() < end) {
        if (i < EXECUTORS) {
          await run('execute_cell', { kernel_id: kernels[i], code: `import random\nv = [random.random() for _ in range(1000)]\nprint(len(v), ${i})` });
          await sleep(200);
          continue;
        }
        const shared = `shared${r.int(4)}.ipynb`;
        switch (r.int(9)) {
          case 0:
          case 1: {
            // Notebooks stay at a steady size, so memory that grows is a leak, not more cells.
            if (ids.length >= 60) {
              await run('remove_cell', { path: own, cell_id: ids.splice(r.int(ids.length), 1)[0] });
              break;
            }
            const a = await run('add_cell', { path: own, cell_type: r.pick(['code', 'markdown']), source: `cell ${ids.length}\nvalue = ${r.int(100)}` });
            if (a) ids.push(a.cell_id);
            break;
          }
          case 2:
            if (ids.length) await run('update_cell', { path: own, cell_id: r.pick(ids), source: `updated ${r.int(1000)}` });
            break;
          case 3:
            if (ids.length > 1) await run('move_cell', { path: own, cell_id: r.pick(ids), to_index: r.int(ids.length) });
            break;
          case 4:
            if (ids.length > 20) await run('remove_cell', { path: own, cell_id: ids.splice(r.int(ids.length), 1)[0] });
            break;
          case 5:
            await run('read_notebook', { path: shared, format: r.pick(['full', 'outline', 'source']) });
            break;
          case 6: {
            const a = await run('add_cell', { path: shared, cell_type: 'raw', source: `from session ${i}` });
            if (a) await run('remove_cell', { path: shared, cell_id: a.cell_id });
            break;
          }
          case 7:
            await run('list_notebooks', {});
            break;
          default:
            await run('clear_outputs', { path: shared });
        }
      }
    };
    await Promise.all(clients.map((_, i) => session(i)));
    clearInterval(sampler);
    rss.push([Math.round((Date.now() - started) / 1000), rssKb(pid)]);
    for (const k of kernels) {
      const s = await call(clients[0], 'stop_kernel', { kernel_id: k });
      assert.equal(s.isError, false, s.text);
    }
    for (const t of transports) await t.terminateSession();
    await Promise.all(clients.map((c) => c.close()));

    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    // Memory, after the first quarter (JIT, caches and heap growth settle). The live heap: what is
    // left after a full collection, at the last one against the first after the warm-up (a leak
    // raises it; garbage does not).
    const warmGcs = fullCollections(cli.stdout().slice(Math.max(0, traceAtWarm)));
    const liveWarm = warmGcs[0]?.live;
    const liveEnd = warmGcs[warmGcs.length - 1]?.live;
    // Resident size, a backstop for what the heap does not show (buffers, native memory): its
    // lowest in the last third must stay near its highest in the first half. RSS swings by a
    // collection cycle (troughs ≈ 165–190 MB, peaks ≈ 195–232 MB over ≈ 40 s, and no higher in a
    // 120 s run), so a low point is compared with a high one, with room for the cycle.
    const earlyHigh = Math.max(...rss.filter(([s]) => s <= SECONDS / 2).map(([, kb]) => kb));
    const lateLow = Math.min(...rss.filter(([s]) => s >= (SECONDS * 2) / 3).map(([, kb]) => kb));
    const last = rss[rss.length - 1][1];
    const peak = Math.max(...rss.map(([, kb]) => kb));
    const line = `[reliability] soak: ${SECONDS} s, ${SESSIONS} sessions, ${total} calls (${(total / SECONDS).toFixed(0)}/s), ${errors.length} errors; live heap after full GCs ${liveWarm} → ${liveEnd} MB (${warmGcs.length} GCs); RSS start ${rss[0][1]} KiB, highest in the 1st half ${earlyHigh} KiB, lowest in the last third ${lateLow} KiB, end ${last} KiB, peak ${peak} KiB`;
    console.log(line);
    console.log(`[reliability] soak calls: ${JSON.stringify(counts)}; live heap after full GCs (MB): ${JSON.stringify(warmGcs.map((g) => g.live))}; RSS samples (s, KiB): ${JSON.stringify(rss)}`);
    if (process.env.RELIABILITY_REPORT) writeFileSync(process.env.RELIABILITY_REPORT, line + '\n', { flag: 'a' });
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} calls failed`);
    assert.ok(total > SECONDS * 20, `only ${total} calls`);
    // A server keeping 1 KB per edit (tried): 30.9 → 38.9 and → 39.8 MB; as it is: within ±1 MB.
    // Fewer than two full collections after the warm-up: the old generation hardly grew (a leak
    // promotes what it keeps and brings them on); the resident size still counts.
    if (warmGcs.length >= 2) assert.ok(liveEnd! < liveWarm! * 1.05 + 3, `live heap after full collections grew from ${liveWarm} to ${liveEnd} MB`);
    assert.ok(lateLow < earlyHigh * 1.3 + 30_000, `RSS grew from at most ${earlyHigh} KiB in the first half to at least ${lateLow} KiB in the last third`);

    // Cleaned up: no session on our side, no kernel on Jupyter's, no temp file, valid notebooks.
    const health = JSON.parse((await raw(cli.port, { method: 'GET', path: '/healthz' })).body);
    assert.equal(health.sessions, 0);
    const left = (await (await fetch(`${jupyter.url}api/kernels`, { headers: { Authorization: `token ${token}` } })).json()) as unknown[];
    assert.deepEqual(left, []);
    assert.deepEqual(await settledTempFiles(ws.root), []);
    for (let i = 0; i < 4; i++) assert.equal(schemaErrors(JSON.parse(readFileSync(path.join(ws.root, `shared${i}.ipynb`), 'utf8'))), undefined);
    const stopped = await cli.stop();
    assert.equal(stopped.code, 0);
    assert.ok(stopped.ms < 3000, `exit took ${stopped.ms} ms`);
  });
});

/**
 * Full collections of the server's main thread in a --trace-gc trace, with the heap left after
 * each (MB). Lines of other isolates (worker threads) are left out: the main thread is the one
 * with the most lines.
 */
function fullCollections(trace: string): Array<{ live: number }> {
  const lines = [...trace.matchAll(/\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact)[^\n]*?-> ([\d.]+) \(/g)];
  const per = new Map<string, number>();
  for (const m of lines) per.set(m[1], (per.get(m[1]) ?? 0) + 1);
  const main = [...per].sort((a, b) => b[1] - a[1])[0]?.[0];
  return lines.filter((m) => m[1] === main && m[2] !== 'Scavenge').map((m) => ({ live: Number(m[3]) }));
}
