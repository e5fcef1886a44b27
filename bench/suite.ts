// The benchmark suite (started by bench/run.js). Each scenario returns result rows; the run ends
// with the table on stdout, bench/results/latest.json and bench/results/latency.svg.
import { mkdirSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { log, ROOT, type Row } from './lib';
import { consoleTable, latencySvg, markdownTable, targetSummary } from './report';

const ALL = ['files', 'editor', 'kernel', 'notebooks', 'concurrency', 'startup', 'context', 'modelview', 'targets'] as const;
type Scenario = (typeof ALL)[number];

const argv = process.argv.slice(2);
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? (argv[onlyIdx + 1] ?? '').split(',').filter(Boolean) : [...ALL];
for (const s of only) if (!ALL.includes(s as Scenario)) throw new Error(`Unknown scenario "${s}"; known: ${ALL.join(', ')}`);
const want = (s: Scenario) => only.includes(s);
const quick = argv.includes('--quick');
const outIdx = argv.indexOf('--out');
const outDir = outIdx >= 0 ? path.resolve(argv[outIdx + 1]) : path.join(__dirname, 'results');

// @jupyterlab/services logs kernel status changes with console.debug.
console.debug = () => undefined;

function machine(): Record<string, unknown> {
  const py = spawnSync('/usr/bin/python3', ['-c', 'import jupyter_server, ipykernel, nbconvert, nbformat, sys; print(jupyter_server.__version__, ipykernel.__version__, nbconvert.__version__, nbformat.__version__, sys.version.split()[0])'], { encoding: 'utf8' });
  const [jupyterServer, ipykernel, nbconvert, nbformat, python] = (py.stdout ?? '').trim().split(' ');
  let osName = os.type();
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(require('fs').readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    /* keep os.type() */
  }
  return {
    os: osName,
    kernel: os.release(),
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    // Other work on the machine skews the figures: the 1/5/15-minute load averages at the end.
    loadAvg: os.loadavg().map((x) => Number(x.toFixed(2))),
    node: process.version,
    python,
    jupyterServer,
    ipykernel,
    nbconvert,
    nbformat,
  };
}

/** By scenario number, stable (some scenarios add rows to others, e.g. host activation to 6). */
function sortRows(rows: Row[]): void {
  const num = (r: Row) => parseInt(r.scenario, 10) || 99;
  rows.sort((a, b) => num(a) - num(b));
}

function render(outDir: string, rows: Row[], date: string, cores: number): void {
  writeFileSync(path.join(outDir, 'latency.svg'), latencySvg(rows, `Jupyter MCP latency, p50 / p95 (${date}, ${cores} cores)`));
  writeFileSync(path.join(outDir, 'latest.md'), markdownTable(rows) + '\n');
}

async function main(): Promise<void> {
  if (argv.includes('--render')) {
    // Re-renders latest.md and latency.svg from latest.json (no measuring).
    const j = JSON.parse(require('fs').readFileSync(path.join(outDir, 'latest.json'), 'utf8'));
    sortRows(j.rows);
    render(outDir, j.rows, String(j.generatedAt).slice(0, 10), j.machine.cores);
    process.stdout.write(consoleTable(j.rows) + '\n');
    return;
  }
  const started = Date.now();
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const failures: string[] = [];
  const step = async (name: string, fn: () => Promise<void>) => {
    const t = Date.now();
    log(`== ${name}`);
    try {
      await fn();
    } catch (e) {
      const msg = e instanceof Error ? e.stack ?? e.message : String(e);
      failures.push(`${name}: ${msg.split('\n')[0]}`);
      log(`${name} FAILED: ${msg}`);
      rows.push({ scenario: name, case: 'scenario failed', note: msg.split('\n')[0] });
    }
    log(`== ${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };

  if (want('files') || want('context')) {
    await step(want('files') ? '1 files/MCP' : '7 context', async () => {
      const { runFiles, runContext } = await import('./files');
      if (want('files')) {
        const r = await runFiles({ quick, context: want('context') });
        rows.push(...r.rows);
        details.files = r.extra;
      } else rows.push(...(await runContext()));
    });
  }
  if (want('editor')) {
    await step('2 editor/VS Code', async () => {
      const { runEditor } = await import('./editor');
      const r = await runEditor({ quick });
      rows.push(...r.rows);
      details.editor = r.extra;
    });
  }
  if (want('kernel')) {
    await step('3 execute_cell', async () => {
      const { runKernel } = await import('./kernelRunner');
      const r = await runKernel({ quick });
      rows.push(...r.rows);
      details.kernel = r.extra;
    });
  }
  if (want('notebooks')) {
    await step('4 execute_notebook', async () => {
      const { runNotebooks } = await import('./notebooks');
      const r = await runNotebooks({ quick });
      rows.push(...r.rows);
      details.notebooks = r.extra;
    });
  }
  if (want('concurrency')) {
    await step('5 concurrency', async () => {
      const { runConcurrency } = await import('./concurrency');
      const r = await runConcurrency({ quick });
      rows.push(...r.rows);
      details.concurrency = r.extra;
    });
  }
  if (want('startup')) {
    await step('6 startup/size', async () => {
      const { runStartup } = await import('./startup');
      const r = await runStartup({ quick });
      rows.push(...r.rows);
      details.startup = r.extra;
    });
  }
  if (want('modelview')) {
    await step('8 model view', async () => {
      const { runModelView } = await import('./modelView');
      const r = await runModelView();
      rows.push(...r.rows);
      details.modelView = r.views;
    });
  }
  if (want('targets')) {
    await step('9 targets', async () => {
      const { runTargets } = await import('./targets');
      // The editor rows need the VS Code host: read from scenario 2 when it ran, else run it here.
      const editor = argv.includes('--no-host') ? 'skip' : ((details.editor as Record<string, unknown> | undefined) ?? 'run');
      const r = await runTargets({ quick, editor });
      rows.push(...r.rows);
    });
  }
  sortRows(rows);

  const durationS = (Date.now() - started) / 1000;
  const result = { generatedAt: new Date().toISOString(), durationS, quick, scenarios: only, machine: machine(), rows, details, failures };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  render(outDir, rows, new Date().toISOString().slice(0, 10), os.cpus().length);
  process.stdout.write('\n' + consoleTable(rows) + '\n\n');
  if (rows.some((r) => r.target)) process.stdout.write(targetSummary(rows, os.loadavg()) + '\n\n');
  const missed = rows.filter((r) => r.pass === false);
  process.stdout.write(`${rows.length} rows in ${durationS.toFixed(0)} s; targets missed: ${missed.length}${missed.length ? ` (${missed.map((r) => r.case).join('; ')})` : ''}\n`);
  process.stdout.write(`written: ${path.relative(ROOT, path.join(outDir, 'latest.json'))}, latest.md, latency.svg\n`);
  if (failures.length) {
    process.stdout.write(`scenarios that failed: ${failures.join(' | ')}\n`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
