#!/usr/bin/env node
// Builds what the real-host tests load inside the VS Code extension host:
// out/test/host/suite/**/*.js from test/host/suite/**/*.ts, one bundle per file. mocha is bundled
// into index.js, so the suite does not depend on resolving packages at run time; the test files use
// the globals mocha sets (`suite`, `test`) and never import it. The extension itself
// (dist/extension.js) is built by esbuild.js.
// Usage: node scripts/build-host-tests.js
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'test', 'host', 'suite');
const OUT = path.join(ROOT, 'out', 'test', 'host', 'suite');

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  sourcesContent: false,
  logLevel: 'warning',
  // mocha's parallel mode (worker files found by require.resolve) is never used in the host.
  logOverride: { 'require-resolve-not-external': 'silent' },
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
};

async function main() {
  const entryPoints = fs
    .readdirSync(SRC, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(SRC, f));
  // A test removed from the sources must not linger in out/.
  fs.rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({ ...common, entryPoints, outbase: SRC, outdir: OUT });
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
