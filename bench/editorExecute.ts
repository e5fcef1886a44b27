// execute_notebook through the editor (issue #12): N trivial code cells of a notebook open in a
// REAL VS Code host (test/host/harness.ts) with the "Jupyter MCP" controller as its kernel, on a
// real Jupyter server started here. bench/host/executeBench.js runs inside the host.
// Run: `node esbuild.js && node --import tsx bench/editorExecute.ts` (JMCP_BENCH_CELLS=50,200,
// JMCP_BENCH_RUNS=5). Prints one line per notebook size; figures in docs/BENCHMARKS.md.
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { runHostTests } from '../test/host/harness';
import { startLocalJupyter } from '../src/kernels/localServer';

const ROOT = path.resolve(__dirname, '..');

function notebook(n: number): string {
  const cells = Array.from({ length: n }, (_, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source: `x${i} = ${i}` }));
  return JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, cells }, null, 1) + '\n';
}

async function main(): Promise<void> {
  const sizes = (process.env.JMCP_BENCH_CELLS || '50,200').split(',').map(Number);
  const ws = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-exec-'));
  for (const n of sizes) writeFileSync(path.join(ws, `cells-${n}.ipynb`), notebook(n));
  const jupyter = await startLocalJupyter({ rootDir: ws, pythons: ['/usr/bin/python3'] });
  try {
    const result = await runHostTests({
      extensionPath: ROOT,
      testsPath: path.join(__dirname, 'host', 'executeBench.js'),
      workspace: ws,
      env: { JMCP_BENCH_JUPYTER_URL: jupyter.url, JMCP_BENCH_JUPYTER_TOKEN: jupyter.token, JMCP_BENCH_CELLS: sizes.join(','), JMCP_BENCH_RUNS: process.env.JMCP_BENCH_RUNS || '5' },
      timeoutMs: 900_000,
    });
    const all = [...result.output, ...result.log];
    const line = all.map((l) => /JMCP_BENCH (\{.*\})/.exec(l)).find(Boolean);
    if (!line) throw new Error(`the in-host bench did not report: ${all.filter((l) => /JMCP_BENCH_ERROR|rror/.test(l)).slice(-5).join(' | ').slice(0, 800)}`);
    const r = JSON.parse(line[1]) as { runs: number; cases: Record<string, { p50: number; min: number; max: number; perCellP50: number }> };
    for (const [n, c] of Object.entries(r.cases)) {
      console.log(`execute_notebook through the editor, ${n} cells (${r.runs} runs): p50 ${c.p50.toFixed(0)} ms (min ${c.min.toFixed(0)}, max ${c.max.toFixed(0)}), ${c.perCellP50.toFixed(1)} ms per cell`);
    }
  } finally {
    await jupyter.stop();
    rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
