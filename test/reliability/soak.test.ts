// Load: a bounded soak of the standalone server (a child process, so its memory is its own): 16
// concurrent sessions with mixed notebook tools, and a few running code on a real Jupyter server,
// for SOAK_SECONDS (default 60, at most 120). No call may fail; resident memory must stay flat;
// afterwards no session or kernel is left. Loopback only.
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
    cli = await startCli(['--port', '0', '--root', ws.root, '--url', jupyter.url, '--token', token]);
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
    const sampler = setInterval(() => rss.push([Math.round((Date.now() - started) / 1000), rssKb(pid)]), 2000);
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
    // Memory: after the first quarter (JIT, caches and heap growth settle), RSS must not keep growing.
    const warm = rss.filter(([s]) => s >= SECONDS / 4);
    const first = warm[0][1];
    const last = rss[rss.length - 1][1];
    const peak = Math.max(...rss.map(([, kb]) => kb));
    const line = `[reliability] soak: ${SECONDS} s, ${SESSIONS} sessions, ${total} calls (${(total / SECONDS).toFixed(0)}/s), ${errors.length} errors; RSS start ${rss[0][1]} KiB, after warm-up ${first} KiB, end ${last} KiB, peak ${peak} KiB`;
    console.log(line);
    console.log(`[reliability] soak calls: ${JSON.stringify(counts)}; RSS samples (s, KiB): ${JSON.stringify(rss)}`);
    if (process.env.RELIABILITY_REPORT) writeFileSync(process.env.RELIABILITY_REPORT, line + '\n', { flag: 'a' });
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} calls failed`);
    assert.ok(total > SECONDS * 20, `only ${total} calls`);
    assert.ok(last < first * 1.25 + 20_000, `RSS grew from ${first} to ${last} KiB`);

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
