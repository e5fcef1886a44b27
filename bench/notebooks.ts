// Scenario 4: execute_notebook of a 20-cell and a 200-cell notebook through MCP (the product as
// `node dist/cli.js --url … --token …`), warm kernel and cold (kernel start included), against
// `/usr/bin/python3 -m nbconvert --to notebook --execute` on the same notebooks, same machine.
import { spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { emptyNotebook, makeCell, serializeNotebook } from '../src/notebooks/nbformat';
import { PYTHON, startJupyterServer } from '../test/helpers/jupyter';
import { callOk, connectClient, log, row, startProductServer, stats, timeRuns, type Row } from './lib';

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

export async function runNotebooks(o: { quick: boolean }): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-nb-'));
  const jupyter = await startJupyterServer({ rootDir: dir });
  const server = await startProductServer(dir, ['--url', jupyter.url, '--token', jupyter.token]);
  const client = await connectClient(server.url);
  const rows: Row[] = [];
  const extra: Record<string, unknown> = { jupyterServer: 'stock (no TCP_NODELAY patch); the product pongs after each kernel message' };
  try {
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
      const warmP50 = stats(warm).p50;
      rows.push(
        row(S4, `${label}: MCP execute_notebook, warm kernel`, warm, {
          peer: 'nbconvert',
          peerValue: nbcP50,
          note: `${(nbcP50 / warmP50).toFixed(1)}× faster than nbconvert; ${(warmP50 / (cells - 1)).toFixed(1)} ms per code cell incl. saving its outputs`,
          ...(cells === 20 ? { target: '≥ 5× faster than nbconvert', pass: nbcP50 / warmP50 >= 5 } : {}),
        }),
      );
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
