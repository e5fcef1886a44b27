#!/usr/bin/env node
// `npm test`: installs what the tests need (idempotent; skips what is there), builds, and runs every
// test file in one node:test run so the summary line covers everything.
//   npm test                 unit + integration + reliability (real Jupyter server) + VS Code host tests
//   npm test -- --only unit  only the unit tests (no installs, no servers)
//   npm test -- --only integration,reliability,host (any of them)
//   npm test -- --no-setup   do not install anything (tests that need a missing part fail)
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const setup = !args.includes('--no-setup');
const suites = only ? only.split(',') : ['unit', 'integration', 'reliability', 'host'];

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`[test] ${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status || 1);
  }
}

if (setup) {
  // The unit tests compare our nbformat output with Python's; integration and reliability tests run
  // a real Jupyter server.
  if (suites.some((s) => s !== 'host')) run(process.execPath, [path.join(__dirname, 'install-jupyter.js')]);
  if (suites.includes('host')) run(process.execPath, [path.join(__dirname, 'install-vscode-host.js')]);
}
run(process.execPath, [path.join(root, 'esbuild.js')]);

const files = [];
for (const suite of suites) {
  const dir = path.join(root, 'test', suite);
  if (!fs.existsSync(dir)) continue;
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.ts')) files.push(path.join('test', suite, f));
}
if (files.length === 0) {
  console.error('[test] no test files found');
  process.exit(1);
}
// --test-timeout: a hang guard for tests that set none (15 min; the host suites set their own), so a
// stuck test fails with its name instead of holding the run until CI gives up.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=900000', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, JUPYTER_MCP_TEST: '1' },
});
process.exit(r.status ?? 1);
