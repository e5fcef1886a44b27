// Scenario 4: execute_notebook of a 20-cell and a 200-cell notebook through MCP (the product as
// `node dist/cli.js --url … --token …`), warm kernel and cold (kernel start included), against
// `/usr/bin/python3 -m nbconvert --to notebook --execute` on the same notebooks, same machine.
import { spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { emptyNotebook, joinSource, makeCell, serializeNotebook, type Notebook } from '../src/notebooks/nbformat';
import { readFileSync } from 'fs';
import { PYTHON, startJupyterServer } from '../test/helpers/jupyter';
import { callOk, connectClient, log, row, startProductServer, stats, timeRuns, type Row } from './lib';
import { libraryFor } from './rawClients';

const S4 = '4 execute_notebook';

function writeNotebook(dir: string, cells: number): string {
  const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' });
  nb.cells.push(makeCell('markdown', `# ${cells}-cell notebook\nSmall steps, one output each.`, { id: 'intro' }));
  for (let i = 0; i < cells - 1; i++) {
    const src = i === 0 ? 'import math\nx = 0\nx' : i % 5 === 0 ? `print("step ${i}", x)` : i % 7 === 0 ? `values = [math.sqrt(k) for k in range(${i})]\nlen(values)` : `x += ${i}\nx`;
    nb.cells.push(makeCell('code', src, { id: `c${i}` }));
  }
  const name = `nb${cells}.ipynb`;
  writeFileSync(path.join(dir, name), serializeNotebook(nb));
  return name;
}

/**
 * The kernel's own time for a notebook's code cells: a bare @jupyterlab/services connection sends
 * every execute request at once and waits for the last reply (no MCP, no saving). What
 * execute_notebook adds per cell is measured against this floor.
 */
async function kernelAlone(url: string, token: string, codes: string[], runs: number): Promise<number[]> {
  const { S, settings } = libraryFor(url, token);
  const model = await S.KernelAPI.startNew({ name: 'python3' }, settings);
  const conn = new S.KernelConnection({ model, serverSettings: settings });
  try {
    await conn.info;
    const all = () => Promise.all(codes.map((code, i) => conn.requestExecute({ code, stop_on_error: i < codes.length - 1 }).done));
    return await timeRuns(runs, all, 1);
  } finally {
    await conn.shutdown().catch(() => undefined);
    conn.dispose();
  }
}

export async function runNotebooks(o: { quick: boolean }): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-nb-'));
  const jupyter = await startJupyterServer({ rootDir: dir });
  const server = await startProductServer(dir, ['--url', jupyter.url, '--token', jupyter.token]);
  const client = await connectClient(server.url);
  const rows: Row[] = [];
  const extra: Record<string, unknown> = { jupyterServer: 'stock (no TCP_NODELAY patch); the product pongs after each kernel message' };
  try {
    const floors: Record<number, { ours: number; kernel: number }> = {};
    for (const cells of [20, 200]) {
      const name = writeNotebook(dir, cells);
      const label = `${cells} cells`;
      log(`notebooks: ${label}`);
      let stopped = 0;
      const kernelIds = new Set<string>();
      let last: string | undefined;
      const stopKernel = async () => {
        // The kernel execute_notebook used for this notebook (a Jupyter session on its path).
        if (!last) return;
        await callOk(client, 'stop_kernel', { kernel_id: last });
        stopped++;
      };
      const run = async () => {
        const r = await callOk(client, 'execute_notebook', { path: name });
        kernelIds.add(r.structuredContent.kernel_id);
        last = r.structuredContent.kernel_id;
        if (!r.structuredContent.success) throw new Error(`execute_notebook ${name}: ${r.structuredContent.message}`);
      };
      const coldRuns = o.quick ? 1 : 3;
      const cold = await timeRuns(coldRuns, async () => {
        await stopKernel();
        await run();
      }); // each includes the stop of the previous kernel (a REST call, ≈ 10–30 ms)
      if (kernelIds.size !== coldRuns) throw new Error(`cold runs did not each start a new kernel (${kernelIds.size} kernels for ${coldRuns} runs, ${stopped} stopped)`);
      const warm = await timeRuns(o.quick ? 2 : cells > 100 ? 3 : 5, run);
      const nbcRuns = o.quick ? 1 : cells > 100 ? 2 : 3;
      const nbc = await timeRuns(nbcRuns, async () => {
        // Async (not spawnSync): a blocked event loop would leave the MCP client's idle keep-alive
        // socket unattended, and its next request would meet a socket the server already closed.
        await new Promise<void>((resolve, reject) => {
          const child = spawn(PYTHON, ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--output', `out-${name}`, name], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nbconvert failed: ${err.split('\n').slice(-3).join(' ')}`))));
        });
      });
      const nbcP50 = stats(nbc).p50;
      rows.push(row(S4, `${label}: nbconvert --execute (peer, own kernel)`, nbc));
      const codes = (JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Notebook).cells.filter((c) => c.cell_type === 'code').map((c) => joinSource(c.source));
      const floor = await kernelAlone(jupyter.url, jupyter.token, codes, o.quick ? 2 : 5);
      const floorP50 = stats(floor).p50;
      rows.push(row(S4, `${label}: kernel alone (direct @jupyterlab/services, requests sent ahead, nothing saved)`, floor));
      const warmP50 = stats(warm).p50;
      const overPerCell = (warmP50 - floorP50) / codes.length;
      floors[cells] = { ours: warmP50, kernel: floorP50 };
      const marginal = cells === 200 && floors[20] ? (warmP50 - floors[20].ours - (floorP50 - floors[20].kernel)) / (200 - 20) : undefined;
      rows.push(
        row(S4, `${label}: MCP execute_notebook, warm kernel`, warm, {
          peer: 'nbconvert',
          peerValue: nbcP50,
          note:
            `${(nbcP50 / warmP50).toFixed(1)}× faster than nbconvert; ${(warmP50 / codes.length).toFixed(2)} ms per code cell incl. saving its outputs, ` +
            `${overPerCell.toFixed(2)} ms per cell over the kernel alone` +
            (marginal !== undefined ? `; each extra cell (20 → 200) costs ${marginal.toFixed(2)} ms over the kernel's own time (target ≤ 1.5 ms: ${marginal <= 1.5 ? 'PASS' : 'MISS'})` : ''),
          target: '≥ 5× faster than nbconvert',
          pass: nbcP50 / warmP50 >= 5,
        }),
      );
      // The same warm kernel, the cells sent one at a time (what execute_notebook did before it
      // pipelined; it still does so with continue_on_error), interleaved with nothing else.
      const oneByOne = await timeRuns(o.quick ? 2 : cells > 100 ? 3 : 5, async () => {
        const r = await callOk(client, 'execute_notebook', { path: name, continue_on_error: true });
        if (!r.structuredContent.success) throw new Error(r.structuredContent.message);
      });
      rows.push(row(S4, `${label}: MCP execute_notebook, one request at a time (continue_on_error)`, oneByOne, { peer: 'pipelined', peerValue: warmP50, note: `pipelining saves ${((stats(oneByOne).p50 - warmP50) / codes.length).toFixed(2)} ms per cell` }));
      rows.push(row(S4, `${label}: MCP execute_notebook, cold (kernel start incl.)`, cold, { peer: 'nbconvert', peerValue: nbcP50, note: nbcP50 >= stats(cold).p50 ? `${(nbcP50 / stats(cold).p50).toFixed(1)}× faster than nbconvert` : `${(stats(cold).p50 / nbcP50).toFixed(1)}× slower than nbconvert` }));
      const per = server.toolMs.filter((t) => t.tool === 'execute_notebook');
      extra[label] = { serverSideMs: per.slice(-warm.length).map((t) => t.ms) };
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}; product server: ${server.exited() ?? 'running'}; its log:\n${server.logTail()}`);
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
    await jupyter.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, extra };
}
