#!/usr/bin/env node
// `npm run bench` (after `node esbuild.js`): runs the benchmark suite in TypeScript through tsx.
//   node bench/run.js                      every scenario (≈ 6–9 min on 2 cores)
//   node bench/run.js --only files,context scenarios: files, editor, kernel, notebooks, concurrency, startup, context, modelview, targets
//   node bench/run.js --only targets --no-host  the issue-23 targets without the VS Code host (its editor rows left out)
//   node bench/run.js --quick              fewer repetitions (a smoke run, figures less stable)
// Writes bench/results/latest.json, bench/results/latency.svg and prints the table.
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'suite.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
