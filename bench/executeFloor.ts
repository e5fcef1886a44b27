// Where an execute_cell's time goes (not part of `npm run bench`): on one kernel of a real Jupyter
// server, interleaved call by call: a raw websocket execute + reply + idle (the floor), the product's
// execute_cell through a bare HTTP client and through the SDK client, and ping and list_notebooks
// through both (what a call costs without the kernel).
// `--cpu-prof DIR` writes a V8 CPU profile of the product server; `--before BUILD` measures another
// build of dist/cli.js beside it (same kernel, same loop); the second server on a kernel is served
// second by Jupyter, so an A/B needs both orders (swap the two builds and run again).
//   node --import tsx bench/executeFloor.ts [--runs 300] [--cpu-prof /tmp/prof] [--before /tmp/old-cli.js]
import { mkdtempSync, rmSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import * as path from 'path';
import { startJupyterServer } from '../test/helpers/jupyter';
import { CLI, callOk, connectClient, startProductServer, stats } from './lib';
import { rawKernel, rawMcp } from './rawClients';

const arg = (n: string, d: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const RUNS = Number(arg('runs', '300'));
const PROF = arg('cpu-prof', '');
const BEFORE = arg('before', '');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-execfloor-'));
  const jupyter = await startJupyterServer({ rootDir: dir });
  const server = await startProductServer(dir, ['--url', jupyter.url, '--token', jupyter.token], PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF] : [], CLI);
  const before = BEFORE ? await startProductServer(dir, ['--url', jupyter.url, '--token', jupyter.token], [], BEFORE) : undefined;
  const sdk = await connectClient(server.url);
  const bare = await rawMcp(server.url);
  // Anything the server pushes to the SDK client's GET stream during the loop is client work too.
  let pushed = 0;
  sdk.fallbackNotificationHandler = async () => void pushed++;
  const { kernel_id } = (await callOk(sdk, 'start_kernel', {})).structuredContent;
  const raw = await rawKernel(jupyter.url, jupyter.token, kernel_id);
  const bareBefore = before ? await rawMcp(before.url) : undefined;
  const sdkBefore = before ? await connectClient(before.url) : undefined;
  const call = { name: 'execute_cell', arguments: { kernel_id, code: '1+1' } };
  const fns: Array<[string, () => Promise<unknown>]> = [
    ['raw websocket + idle', () => raw.execute(['1+1'])],
    ['execute_cell, bare HTTP client', () => bare.request('tools/call', call)],
    ['execute_cell, SDK client', () => callOk(sdk, 'execute_cell', call.arguments)],
    ['ping, bare HTTP client', () => bare.request('ping')],
    ['ping, SDK client', () => sdk.ping()],
    ['list_notebooks, bare HTTP client', () => bare.request('tools/call', { name: 'list_notebooks', arguments: {} })],
    ['list_notebooks, SDK client', () => callOk(sdk, 'list_notebooks', {})],
  ];
  if (bareBefore && sdkBefore) {
    fns.push(['--before: execute_cell, bare HTTP client', () => bareBefore.request('tools/call', call)]);
    fns.push(['--before: execute_cell, SDK client', () => callOk(sdkBefore, 'execute_cell', call.arguments)]);
  }
  const xs = fns.map(() => [] as number[]);
  const load0 = loadavg();
  for (let i = -20; i < RUNS; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + 20 + k) % fns.length;
      const t = performance.now();
      await fns[j][1]();
      if (i >= 0) xs[j].push(performance.now() - t);
    }
  }
  const load1 = loadavg();
  const own = stats(server.toolMs.filter((t) => t.tool === 'execute_cell').slice(-2 * RUNS).map((t) => t.ms)).p50;
  const floor = stats(xs[0]).p50;
  process.stdout.write(`${RUNS} of each, interleaved; load ${load0.map((x) => x.toFixed(2)).join(' ')} → ${load1.map((x) => x.toFixed(2)).join(' ')}\n`);
  fns.forEach(([name], j) => {
    const s = stats(xs[j]);
    process.stdout.write(`  ${name.padEnd(42)} p50 ${s.p50.toFixed(3)} ms  p95 ${s.p95.toFixed(3)} ms  ${(s.p50 / floor).toFixed(3)}×\n`);
  });
  process.stdout.write(`  notifications the SDK client received during the loop: ${pushed}\n`);
  process.stdout.write(`  execute_cell, the server's own time (its log line) p50 ${own.toFixed(3)} ms\n`);
  if (before) {
    // Jupyter writes each kernel message to the kernel's websockets in the order they connected:
    // the build that reached the kernel second is ≈ 1.4–1.9 ms slower here even against itself.
    process.stdout.write(`  note: --before reached the kernel second, which costs it ≈ 1.5 ms per call by itself; compare with the builds swapped (docs/BENCHMARKS.md)\n`);
  }
  raw.close();
  bare.close();
  bareBefore?.close();
  await sdk.close().catch(() => undefined);
  await sdkBefore?.close().catch(() => undefined);
  await server.stop();
  await before?.stop();
  await jupyter.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
