#!/usr/bin/env node
// Installs the real Jupyter server the integration tests and benchmarks use, and the JupyterHub the
// hub tests run (its proxy, configurable-http-proxy, is an npm devDependency), from Debian's
// packages (no PyPI here): pandas for the kernel-inspection tests, and R's IRkernel as a second
// kernel language (its kernelspec "ir"). Idempotent: does nothing when everything is present.
const { spawnSync } = require('child_process');

const PY = '/usr/bin/python3';
const MODULES = 'import jupyter_server, ipykernel, matplotlib, numpy, pandas, nbconvert, jupyterhub';
/** IRkernel registers its kernelspec here (Debian's r-cran-irkernel). */
const IR_KERNELSPEC = '/usr/share/jupyter/kernels/ir/kernel.json';
const PACKAGES = ['jupyter-server', 'python3-ipykernel', 'python3-matplotlib', 'python3-numpy', 'python3-pandas', 'python3-nbconvert', 'jupyterhub', 'r-cran-irkernel'];

function present() {
  return spawnSync(PY, ['-c', MODULES], { stdio: 'ignore' }).status === 0 && require('fs').existsSync(IR_KERNELSPEC);
}

if (present()) process.exit(0);
if (process.platform !== 'linux' || spawnSync('which', ['apt-get']).status !== 0) {
  console.error(`[install-jupyter] ${PY} cannot import the Jupyter modules and apt-get is not available: install jupyter-server, ipykernel, matplotlib, numpy, pandas, nbconvert and jupyterhub for ${PY}, and R's IRkernel.`);
  process.exit(1);
}
console.error(`[install-jupyter] installing ${PACKAGES.join(' ')} from Debian packages …`);
// Waits for another apt-get/dpkg to release its lock instead of failing (scripts/apt.js).
const { aptGet } = require('./apt');
for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...PACKAGES]]) {
  const r = aptGet(args, { echo: false });
  if (r.status !== 0) {
    process.stderr.write(r.output.split('\n').slice(-15).join('\n') + '\n');
    console.error(`[install-jupyter] apt-get ${args.join(' ')} failed (exit ${r.status}).`);
    process.exit(1);
  }
}
if (!present()) {
  console.error('[install-jupyter] packages installed but the modules still do not import.');
  process.exit(1);
}
console.error('[install-jupyter] done');
