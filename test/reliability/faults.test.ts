// Faults: the server killed with SIGKILL in the middle of writes, files changed by other programs,
// many sessions (and two server processes) editing one notebook, a Jupyter server that stops,
// comes back on the same port, loses a kernel or refuses the token, and clean shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, utimesSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { call, connectClient, ok, startServer } from '../helpers/mcp';
import { BIN, childPids, isAlive, newToken, rng, schemaErrors, sleep, startCli, startJupyterAt, tempDir, tempFiles, type FixedJupyter } from '../helpers/reliability';
import { freePort } from '../../src/kernels/localServer';
import { JupyterServerBackend } from '../../src/kernels/jupyter';
import { makeCell, emptyNotebook, serializeNotebook, joinSource } from '../../src/notebooks/nbformat';

/** A notebook of `cells` code cells with text outputs (≈ 3.5 KB per cell). */
function largeNotebook(cells: number): string {
  const nb = emptyNotebook({ name: 'python3' });
  for (let i = 0; i < cells; i++) {
    const c = makeCell('code', `# cell ${i}\nimport math\nvalues = [math.sqrt(x) for x in range(${i})]\nprint(values[:5])\n`, { id: `big-${i}` });
    c.outputs = [{ output_type: 'stream', name: 'stdout', text: Array.from({ length: 40 }, (_, k) => `line ${k} of cell ${i}: ${'x'.repeat(60)}\n`) }];
    c.execution_count = i + 1;
    nb.cells.push(c);
  }
  return serializeNotebook(nb);
}

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const markers = (f: string) => readJson(f).cells.map((c: any) => joinSource(c.source)).filter((s: string) => s.startsWith('edit-'));

describe('SIGKILL while writing', () => {
  test('the file is always the old or the new notebook; temp files never show as notebooks and are swept later', async () => {
    const ws = tempDir('jmcp-rel-kill-');
    const file = path.join(ws.root, 'big.ipynb');
    writeFileSync(file, largeNotebook(1500)); // ≈ 5 MB: a write takes long enough to be hit
    const size = statSync(file).size;
    assert.ok(size > 4_000_000, `${size} bytes`);
    const r = rng(7);
    const ROUNDS = 12;
    let acked = 0;
    let killedMidWrite = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const cli = await startCli(['--port', '0', '--offline', '--root', ws.root]);
        const client = await connectClient(cli.url);
        // Edits one after another, each acknowledged before the next; killed at a random moment.
        let inFlight = false;
        const killAt = Date.now() + 150 + r.int(900);
        const writer = (async () => {
          for (;;) {
            inFlight = true;
            const res = await call(client, 'add_cell', { path: 'big.ipynb', cell_type: 'raw', source: `edit-${acked}` }).catch(() => undefined);
            inFlight = false;
            if (!res) return;
            assert.equal(res.isError, false, res.text);
            acked++;
          }
        })();
        while (Date.now() < killAt) await sleep(5);
        if (inFlight) killedMidWrite++;
        cli.proc.kill('SIGKILL');
        await cli.stop();
        // Closing the client fails the request in flight (the SDK would otherwise try to resume
        // its SSE stream until the request time-out).
        await client.close().catch(() => undefined);
        await writer;
        // Old or new, never torn: it parses, validates, and holds edits 0..acked-1 (+ maybe the one in flight).
        const nb = readJson(file);
        assert.equal(schemaErrors(nb), undefined);
        const got = markers(file);
        assert.ok(got.length === acked || got.length === acked + 1, `round ${round}: ${got.length} edits on disk, ${acked} acknowledged`);
        if (got.length === acked + 1) acked++; // written, but killed before the answer went out
        assert.deepEqual(got, Array.from({ length: acked }, (_, i) => `edit-${i}`));
        assert.equal(nb.cells.length, 1500 + acked);
      }
      assert.ok(killedMidWrite >= ROUNDS / 2, `${killedMidWrite} of ${ROUNDS} kills landed during a write`);
      // Leftover temp files (a kill between creating and renaming one) are hidden, never listed.
      const leftovers = tempFiles(ws.root);
      const cli = await startCli(['--port', '0', '--offline', '--root', ws.root]);
      const client = await connectClient(cli.url);
      try {
        const listed = (await ok(client, 'list_notebooks', {})).notebooks.map((n: any) => n.path);
        assert.deepEqual(listed, ['big.ipynb']);
        // Make any leftover (and one planted for certain) look stale: the next write sweeps them.
        const planted = path.join(ws.root, '.big.ipynb.0123456789ab.tmp');
        writeFileSync(planted, '{"half": ');
        const fresh = path.join(ws.root, '.big.ipynb.ba9876543210.tmp'); // recent: may be a live write
        writeFileSync(fresh, '{');
        const old = new Date(Date.now() - 3600_000);
        for (const f of [...leftovers.map((l) => path.join(ws.root, l)), planted]) utimesSync(f, old, old);
        const unrelated = path.join(ws.root, 'notes.tmp');
        writeFileSync(unrelated, 'mine');
        utimesSync(unrelated, old, old);
        await ok(client, 'add_cell', { path: 'big.ipynb', cell_type: 'raw', source: 'after' });
        await sleep(200);
        assert.deepEqual(tempFiles(ws.root).sort(), ['.big.ipynb.ba9876543210.tmp', 'notes.tmp'], 'stale temp files of big.ipynb swept; recent and unrelated ones kept');
      } finally {
        await client.close();
        await cli.stop();
      }
      console.log(`[reliability] SIGKILL: ${ROUNDS} rounds, ${killedMidWrite} during a write, ${acked} edits acknowledged, ${leftovers.length} temp files left by kills`);
    } finally {
      ws.cleanup();
    }
  });
});

describe('files changed by another program', () => {
  test('between read and write_notebook: detected for every kind of change, nothing overwritten', async () => {
    const ws = tempDir('jmcp-rel-ext-');
    const file = path.join(ws.root, 'n.ipynb');
    const s = await startServer({ root: ws.root });
    const client = await connectClient(s.url);
    try {
      const changes: Array<[string, () => void]> = [
        ['rewritten in place', () => writeFileSync(file, readFileSync(file, 'utf8').replace('"cells": [', '"cells": [\n  {"cell_type": "raw", "id": "ext", "metadata": {}, "source": ["other program"]},'))],
        ['replaced by rename (new inode)', () => {
          writeFileSync(file + '.new', readFileSync(file, 'utf8').replace('"cells": [', '"cells": [\n  {"cell_type": "raw", "id": "ext", "metadata": {}, "source": ["other program"]},'));
          renameSync(file + '.new', file);
        }],
        ['same size and mtime restored', () => {
          const st = statSync(file);
          writeFileSync(file, readFileSync(file, 'utf8').replace('AAAA', 'BBBB'));
          utimesSync(file, st.atime, st.mtime);
        }],
      ];
      for (const [what, change] of changes) {
        await ok(client, 'write_notebook', { path: 'n.ipynb', content: { cells: [{ cell_type: 'markdown', id: 'm', metadata: {}, source: ['AAAA'] }], metadata: {}, nbformat: 4, nbformat_minor: 5 }, overwrite: true });
        const read = await ok(client, 'read_notebook', { path: 'n.ipynb' });
        change();
        const theirs = readFileSync(file, 'utf8');
        const mine = { ...read.notebook, cells: [...read.notebook.cells, { cell_type: 'raw', id: 'mine', metadata: {}, source: ['agent'] }] };
        for (const args of [{}, { expected_version: read.version }]) {
          const w = await call(client, 'write_notebook', { path: 'n.ipynb', content: mine, ...args });
          assert.equal(w.isError, true, `${what}: ${w.text}`);
          assert.match(w.text, /changed on disk since it was read; nothing was written/, what);
          assert.equal(readFileSync(file, 'utf8'), theirs, `${what}: the other program's version is kept`);
        }
        // The cell tools plan on what is on disk now, so the other program's change survives.
        await ok(client, 'add_cell', { path: 'n.ipynb', cell_type: 'raw', source: 'agent edit' });
        const after = readFileSync(file, 'utf8');
        assert.ok(after.includes('agent edit'), what);
        if (what !== 'same size and mtime restored') assert.ok(after.includes('other program'), what);
        else assert.ok(after.includes('BBBB'), what);
      }
    } finally {
      await client.close();
      await s.close();
      ws.cleanup();
    }
  });

  test('a program replacing the file while an edit is being prepared: the edit is re-planned, nothing is overwritten', async () => {
    const ws = tempDir('jmcp-rel-race-');
    const file = path.join(ws.root, 'big.ipynb');
    writeFileSync(file, largeNotebook(2500)); // ≈ 9 MB: reading, planning and writing take a while
    const s = await startServer({ root: ws.root });
    const client = await connectClient(s.url);
    const r = rng(11);
    try {
      for (let i = 0; i < 8; i++) {
        const edit = call(client, 'add_cell', { path: 'big.ipynb', cell_type: 'raw', source: `edit-${i}` });
        await sleep(5 + r.int(25));
        // The other program: read, add its cell, replace the file atomically (as Jupyter does).
        const nb = readJson(file);
        nb.cells.push({ cell_type: 'raw', id: `ext-${i}`, metadata: {}, source: [`ext-${i}`] });
        writeFileSync(file + '.other', JSON.stringify(nb, null, 1) + '\n');
        renameSync(file + '.other', file);
        const res = await edit;
        assert.equal(res.isError, false, res.text);
        const text = readFileSync(file, 'utf8');
        assert.ok(text.includes(`"ext-${i}"`), `round ${i}: the other program's cell was overwritten`);
      }
      // Edits that landed before the other program read the file are its to keep or drop; every edit
      // made after it wrote is planned on its version.
      const got = markers(file);
      assert.ok(got.length >= 1, `edits present: ${got.join(', ')}`);
    } finally {
      await client.close();
      await s.close();
      ws.cleanup();
    }
  });
});

describe('the write path', () => {
  test('a reader holding the old file reads it whole; edits leave nothing behind but the notebook', async () => {
    const ws = tempDir('jmcp-rel-write-');
    const file = path.join(ws.root, 'big.ipynb');
    const before = largeNotebook(300);
    writeFileSync(file, before);
    const s = await startServer({ root: ws.root });
    const c = await connectClient(s.url);
    // A program that opened the notebook before the edits and reads it slowly afterwards (the old
    // file is renamed over, given a second name for a moment, then unlinked: its bytes stay whole).
    const reader = openSync(file, 'r');
    try {
      for (let i = 0; i < 20; i++) await ok(c, 'update_cell', { path: 'big.ipynb', cell_id: `big-${i}`, source: `edited ${i}` });
      const buf = Buffer.alloc(Buffer.byteLength(before) + 10);
      const n = readSync(reader, buf, 0, buf.length, 0);
      assert.equal(buf.subarray(0, n).toString('utf8'), before, 'the reader still sees the whole old notebook');
      await sleep(200); // the old file's second name is removed just after each answer
      assert.deepEqual(readdirSync(ws.root), ['big.ipynb'], 'no temp file, lock file or old copy left');
      assert.equal(statSync(file).nlink, 1);
      const nb = readJson(file);
      assert.equal(schemaErrors(nb), undefined);
      for (let i = 0; i < 20; i++) assert.equal(joinSource(nb.cells[i].source), `edited ${i}`);
      assert.equal(nb.cells.length, 300);
    } finally {
      closeSync(reader);
      await c.close();
      await s.close();
      ws.cleanup();
    }
  });
});

describe('concurrent edits', () => {
  test('8 sessions x mixed edits on one notebook: every edit is present', async () => {
    const ws = tempDir('jmcp-rel-conc-');
    writeFileSync(path.join(ws.root, 'shared.ipynb'), serializeNotebook(emptyNotebook({ name: 'python3' })));
    const s = await startServer({ root: ws.root });
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectClient(s.url)));
    try {
      await Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < 10; i++) {
            const a = await ok(c, 'add_cell', { path: 'shared.ipynb', cell_type: 'code', source: `s${k}_${i} = 0`, index: i % 2 ? 0 : -1 });
            await ok(c, 'edit_cell_source', { path: 'shared.ipynb', cell_id: a.cell_id, old_string: '= 0', new_string: `= ${i}` });
            await ok(c, 'update_cell', { path: 'shared.ipynb', cell_id: a.cell_id, metadata: { by: k } });
            const now = await ok(c, 'read_notebook', { path: 'shared.ipynb', format: 'outline' });
            const idx = now.outline.findIndex((line: string) => line.includes(`] ${a.cell_id} `));
            await ok(c, 'move_cell', { path: 'shared.ipynb', cell_id: a.cell_id, to_index: (idx + k) % now.cell_count });
          }
        }),
      );
      const nb = readJson(path.join(ws.root, 'shared.ipynb'));
      assert.equal(schemaErrors(nb), undefined);
      assert.equal(nb.cells.length, 80);
      const sources = new Set(nb.cells.map((c: any) => joinSource(c.source)));
      for (let k = 0; k < 8; k++) for (let i = 0; i < 10; i++) assert.ok(sources.has(`s${k}_${i} = ${i}`), `s${k}_${i}`);
      assert.ok(nb.cells.every((c: any) => typeof c.metadata.by === 'number'));
    } finally {
      for (const c of clients) await c.close();
      await s.close();
      ws.cleanup();
    }
  });

  test('two server processes on one folder: every edit is present', async () => {
    const ws = tempDir('jmcp-rel-2proc-');
    writeFileSync(path.join(ws.root, 'shared.ipynb'), largeNotebook(200));
    const started = await Promise.allSettled([0, 1].map(() => startCli(['--port', '0', '--offline', '--root', ws.root])));
    const clis = started.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
    if (clis.length < 2) {
      await Promise.all(clis.map((c) => c.stop()));
      throw (started.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason;
    }
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => connectClient(clis[i % 2].url)));
    try {
      let refused = 0;
      const acked: string[] = [];
      await Promise.all(clients.map(async (c, k) => {
        for (let i = 0; i < 12; i++) {
          const r = await call(c, 'add_cell', { path: 'shared.ipynb', cell_type: 'raw', source: `p${k}_${i}` });
          if (r.isError) {
            // Allowed: a clear refusal that changed nothing. Never allowed: a silent loss.
            assert.match(r.text, /keeps changing on disk.*nothing was changed/);
            refused++;
          } else acked.push(`p${k}_${i}`);
        }
      }));
      const got = new Set(readJson(path.join(ws.root, 'shared.ipynb')).cells.map((c: any) => joinSource(c.source)));
      assert.deepEqual(acked.filter((m) => !got.has(m)), [], 'acknowledged edits lost between two processes');
      assert.equal(got.size - 200, acked.length, 'refused edits left nothing behind');
      assert.ok(refused <= 2, `${refused} of 72 edits refused as conflicts`);
      console.log(`[reliability] two processes: ${acked.length} edits acknowledged and present, ${refused} refused`);
    } finally {
      for (const c of clients) await c.close();
      await Promise.all(clis.map((c) => c.stop()));
      ws.cleanup();
    }
  });
});

describe('Jupyter server faults', () => {
  let ws: { root: string; cleanup(): void };
  let home: { root: string; cleanup(): void };
  let jupyter: FixedJupyter;
  let port: number;
  const token = newToken();

  before(async () => {
    ws = tempDir('jmcp-rel-jws-');
    home = tempDir('jmcp-rel-jhome-');
    port = await freePort();
    jupyter = await startJupyterAt({ port, token, rootDir: ws.root, home: home.root });
  });
  after(async () => {
    await jupyter?.stop();
    ws?.cleanup();
    home?.cleanup();
  });

  test('stopped, then restarted on the same port: clear errors meanwhile, then the server recovers', async () => {
    const backend = new JupyterServerBackend({ url: jupyter.url, token, connectTimeoutMs: 5000 });
    const s = await startServer({ root: ws.root, kernels: backend, timeoutMs: 20_000 });
    const client = await connectClient(s.url);
    try {
      const k = await ok(client, 'start_kernel', {});
      assert.equal((await ok(client, 'execute_cell', { kernel_id: k.kernel_id, code: 'x = 41\nx + 1' })).outputs[0].data['text/plain'], '42');
      await jupyter.stop();
      for (const [tool, args] of [['execute_cell', { kernel_id: k.kernel_id, code: '1' }], ['list_kernels', {}], ['start_kernel', {}], ['restart_kernel', { kernel_id: k.kernel_id }]] as const) {
        const t0 = Date.now();
        const r = await call(client, tool, args);
        assert.equal(r.isError, true, tool);
        assert.match(r.text, new RegExp(`Cannot connect to Jupyter server at http://127\\.0\\.0\\.1:${port}/: ECONNREFUSED|Lost the connection.*ECONNREFUSED`), `${tool}: ${r.text}`);
        assert.ok(Date.now() - t0 < 8000, `${tool} answered in ${Date.now() - t0} ms`);
        assert.ok(!r.text.includes(token));
      }
      // Notebook tools do not depend on Jupyter.
      await ok(client, 'create_notebook', { path: 'still-works.ipynb' });
      jupyter = await startJupyterAt({ port, token, rootDir: ws.root, home: home.root });
      const listed = await ok(client, 'list_kernels', {});
      assert.deepEqual(listed.active_kernels, [], 'the restarted server has no kernels');
      const gone = await call(client, 'execute_cell', { kernel_id: k.kernel_id, code: '1' });
      assert.match(gone.text, /^Kernel not found: .*list_kernels/);
      const k2 = await ok(client, 'start_kernel', {});
      assert.equal((await ok(client, 'execute_cell', { kernel_id: k2.kernel_id, code: '6 * 7' })).outputs[0].data['text/plain'], '42');
      await ok(client, 'stop_kernel', { kernel_id: k2.kernel_id });
    } finally {
      await client.close();
      await s.close();
      await backend.dispose();
    }
  });

  test('killed mid-run and restarted: the run fails clearly within its time-out, the next one works', async () => {
    const backend = new JupyterServerBackend({ url: jupyter.url, token, connectTimeoutMs: 5000 });
    const s = await startServer({ root: ws.root, kernels: backend, timeoutMs: 20_000 });
    const client = await connectClient(s.url);
    try {
      const k = await ok(client, 'start_kernel', {});
      const t0 = Date.now();
      const running = call(client, 'execute_cell', { kernel_id: k.kernel_id, code: 'import time\ntime.sleep(30)', timeout: 20 });
      await sleep(700);
      await jupyter.stop('SIGKILL');
      const r = await running;
      assert.equal(r.isError, true);
      assert.match(r.text, /Lost the connection to the Jupyter server .*ECONNREFUSED|Cannot connect/);
      assert.ok(Date.now() - t0 < 15_000, `reported after ${Date.now() - t0} ms`);
      jupyter = await startJupyterAt({ port, token, rootDir: ws.root, home: home.root });
      const k2 = await ok(client, 'start_kernel', {});
      assert.equal((await ok(client, 'execute_cell', { kernel_id: k2.kernel_id, code: '1 + 1' })).status, 'ok');
    } finally {
      await client.close();
      await s.close();
      await backend.dispose();
    }
  });

  test('a kernel process killed mid-run: reported dead within the time-out; restart_kernel recovers it', async () => {
    const backend = new JupyterServerBackend({ url: jupyter.url, token });
    const s = await startServer({ root: ws.root, kernels: backend, timeoutMs: 20_000 });
    const client = await connectClient(s.url);
    try {
      const before = new Set(childPids(jupyter.pid));
      const k = await ok(client, 'start_kernel', {});
      const kernelPid = childPids(jupyter.pid).find((p) => !before.has(p));
      assert.ok(kernelPid, 'kernel process found');
      const t0 = Date.now();
      const running = call(client, 'execute_cell', { kernel_id: k.kernel_id, code: 'import time\nprint("started", flush=True)\ntime.sleep(30)', timeout: 20 });
      await sleep(800);
      process.kill(kernelPid!, 'SIGKILL');
      const r = await running;
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /died while running this code|is dead|restarting/, r.text);
      assert.ok(Date.now() - t0 < 15_000, `reported after ${Date.now() - t0} ms`);
      await ok(client, 'restart_kernel', { kernel_id: k.kernel_id });
      assert.equal((await ok(client, 'execute_cell', { kernel_id: k.kernel_id, code: '2 + 2' })).outputs[0].data['text/plain'], '4');
    } finally {
      await client.close();
      await s.close();
      await backend.dispose();
    }
  });

  test('shutdown: the CLI exits quickly on SIGTERM and shuts down the kernels it started, not the others', async () => {
    const foreign: any = await (await fetch(`${jupyter.url}api/kernels`, { method: 'POST', headers: { Authorization: `token ${token}` }, body: '{"name":"python3"}' })).json();
    const cli = await startCli(['--port', '0', '--url', jupyter.url, '--token', token, '--root', ws.root]);
    const client = await connectClient(cli.url);
    writeFileSync(path.join(ws.root, 'run.ipynb'), serializeNotebook({ ...emptyNotebook({ name: 'python3' }), cells: [makeCell('code', 'print(1)', { id: 'a' })] }));
    const k = await ok(client, 'start_kernel', {});
    const nbRun = await ok(client, 'execute_notebook_cell', { path: 'run.ipynb', cell_index: 0 });
    const running = async () => ((await (await fetch(`${jupyter.url}api/kernels`, { headers: { Authorization: `token ${token}` } })).json()) as any[]).map((x) => x.id);
    assert.ok((await running()).includes(k.kernel_id) && (await running()).includes(nbRun.kernel_id));
    // A long run in flight while SIGTERM arrives.
    void call(client, 'execute_cell', { kernel_id: k.kernel_id, code: 'import time\ntime.sleep(30)' }).catch(() => undefined);
    await sleep(300);
    const stopped = await cli.stop('SIGTERM');
    assert.equal(stopped.code, 0, cli.stderr());
    assert.ok(stopped.ms < 4000, `exited after ${stopped.ms} ms`);
    const left = await running();
    assert.ok(!left.includes(k.kernel_id) && !left.includes(nbRun.kernel_id), `kernels left running: ${left.join(', ')}`);
    assert.ok(left.includes(foreign.id), 'a kernel someone else started is left alone');
    const sessions = (await (await fetch(`${jupyter.url}api/sessions`, { headers: { Authorization: `token ${token}` } })).json()) as any[];
    assert.ok(!sessions.some((x) => x.path === 'run.ipynb'), 'the notebook session is gone');
    await fetch(`${jupyter.url}api/kernels/${foreign.id}`, { method: 'DELETE', headers: { Authorization: `token ${token}` } });
    await client.close().catch(() => undefined);
  });
});

describe('shutdown', () => {
  test('--stdio: the CLI exits by itself when stdin closes', async () => {
    const ws = tempDir('jmcp-rel-stdio-');
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, '--stdio', '--offline', '--root', ws.root], stderr: 'pipe' });
    const client = new Client({ name: 'stdio-close', version: '1' });
    try {
      await client.connect(transport);
      await ok(client, 'create_notebook', { path: 'a.ipynb' });
      const pid = transport.pid!;
      const t0 = Date.now();
      // Close only stdin (what a client that crashes or exits does); do not signal the process.
      (transport as any)._process.stdin.end();
      while (isAlive(pid) && Date.now() - t0 < 5000) await sleep(50);
      assert.equal(isAlive(pid), false, 'still running 5 s after stdin closed');
    } finally {
      await client.close().catch(() => undefined);
      ws.cleanup();
    }
  });

  test('in-process: closing the HTTP server and backend leaves no session, timer or socket behind', async () => {
    const ws = tempDir('jmcp-rel-handles-');
    const home = tempDir('jmcp-rel-hhome-');
    const port = await freePort();
    const token = newToken();
    const j = await startJupyterAt({ port, token, rootDir: ws.root, home: home.root });
    const baseline = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
    const backend = new JupyterServerBackend({ url: j.url, token });
    const s = await startServer({ root: ws.root, kernels: backend });
    try {
      const clients = await Promise.all([0, 1, 2].map(() => connectClient(s.url)));
      const k = await ok(clients[0], 'start_kernel', {});
      await ok(clients[1], 'execute_cell', { kernel_id: k.kernel_id, code: '1' });
      await ok(clients[2], 'create_notebook', { path: 'x.ipynb' });
      assert.equal(s.http.sessionCount(), 3);
      // Clients that vanish without ending their session (no DELETE).
      for (const c of clients) await c.close();
      await s.close();
      await backend.dispose();
      assert.equal(s.http.sessionCount(), 0);
      const kernels = (await (await fetch(`${j.url}api/kernels`, { headers: { Authorization: `token ${token}` } })).json()) as any[];
      assert.deepEqual(kernels, [], 'kernels started by the server were shut down');
      await sleep(300);
      // Pooled keep-alive sockets of fetch (undici) close on their own; give them their 4 s.
      const count = (list: string[]) => list.reduce<Record<string, number>>((m, r) => ((m[r] = (m[r] ?? 0) + 1), m), {});
      const extra = () => {
        const b = count(baseline);
        return Object.entries(count(process.getActiveResourcesInfo())).filter(([k, n]) => k !== 'TTYWrap' && n > (b[k] ?? 0)).map(([k, n]) => `${k} x${n - (b[k] ?? 0)}`);
      };
      for (let i = 0; i < 60 && extra().length > 0; i++) await sleep(100);
      assert.deepEqual(extra(), [], `left behind beyond the baseline (${baseline.join(', ')})`);
    } finally {
      await j.stop();
      ws.cleanup();
      home.cleanup();
    }
  });
});
