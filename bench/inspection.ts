// Kernel inspection bench (issue #21): list_variables on a warm Python kernel whose namespace holds
// 1,000 variables, one of them a 1,000,000-row DataFrame (the rest: small lists, arrays, dicts),
// on the real Debian jupyter_server. Times the MCP call over HTTP (what an agent waits) and, apart,
// the silent user-expression request alone (the kernel's share); also inspect_variable on the
// DataFrame and inspect_code. Target: list_variables ≤ 100 ms at the median.
// Run: node --import tsx bench/inspection.ts [--runs 30]
import { cpus, loadavg } from 'os';
import { helperExpression } from '../src/kernels/pyHelper';
import { startJupyterServer, type TestJupyter } from '../test/helpers/jupyter';
import { connectClient, ok, startServer, tempWorkspace } from '../test/helpers/mcp';
import { JupyterServerBackend } from '../src/kernels/jupyter';
import { stats } from './lib';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const WARMUP = 3;

// @jupyterlab/services logs kernel status changes with console.debug: keep the figures readable.
console.debug = () => undefined;

const NAMESPACE = `
import numpy as np, pandas as pd
n = 1_000_000
df = pd.DataFrame({"id": np.arange(n), "price": np.random.rand(n), "city": np.where(np.arange(n) % 2, "Lyon", "Paris")})
for i in range(999):
    globals()[f"v{i:03d}"] = [i, str(i)] if i % 3 == 0 else (np.arange(i) if i % 3 == 1 else {"k": i})
del i
`;

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return xs;
}

function line(what: string, xs: number[], target?: number): void {
  const s = stats(xs);
  const verdict = target === undefined ? '' : s.p50 <= target ? `  (target ≤ ${target} ms: pass)` : `  (target ≤ ${target} ms: FAIL)`;
  console.log(`${what.padEnd(58)} p50 ${s.p50.toFixed(1).padStart(7)} ms  p95 ${s.p95.toFixed(1).padStart(7)} ms  max ${s.max.toFixed(1).padStart(7)} ms  n=${s.n}${verdict}`);
}

async function main(): Promise<void> {
  const ws = tempWorkspace();
  let jupyter: TestJupyter | undefined;
  const backend = { current: undefined as JupyterServerBackend | undefined };
  try {
    jupyter = await startJupyterServer({ rootDir: ws.root });
    backend.current = new JupyterServerBackend({ url: jupyter.url, token: jupyter.token });
    const server = await startServer({ root: ws.root, kernels: backend.current, timeoutMs: 120_000 });
    const client = await connectClient(server.url);
    try {
      const { kernel_id: id } = await ok(client, 'start_kernel', { kernel_name: 'python3' });
      const defined = await ok(client, 'execute_cell', { kernel_id: id, code: NAMESPACE, timeout: 120 });
      if (defined.status !== 'ok') throw new Error(JSON.stringify(defined.outputs));
      const first = await ok(client, 'list_variables', { kernel_id: id });
      console.log(`namespace: ${first.total} variables; first page ${first.variables.length} entries, ${JSON.stringify(first).length} bytes; largest ${first.variables[0].name} ${JSON.stringify(first.variables[0].shape)}`);
      console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores)`);
      line('list_variables over MCP (HTTP, warm kernel)', await time(() => ok(client, 'list_variables', { kernel_id: id })), 100);
      const expr = helperExpression({ op: 'list', budget: 7100 });
      line('  of which the silent request alone (backend)', await time(() => backend.current!.evaluateSilently(id, expr, { timeoutMs: 30_000 })));
      line('list_variables, type filter "DataFrame"', await time(() => ok(client, 'list_variables', { kernel_id: id, type: 'DataFrame' })));
      line('inspect_variable df (1,000,000 rows: nulls, head, tail)', await time(() => ok(client, 'inspect_variable', { kernel_id: id, name: 'df' })));
      line('inspect_code np.linspace (inspect + complete)', await time(() => ok(client, 'inspect_code', { kernel_id: id, code: 'np.linspace' })));
      console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    await backend.current?.dispose();
    await jupyter?.stop();
    ws.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
