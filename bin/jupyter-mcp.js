#!/usr/bin/env node
// Launcher for the standalone server. In a source checkout it (re)builds dist/cli.js when the
// bundle is missing or older than src/, so `npm start` works right after `npm install`.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'dist', 'cli.js');

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

const src = path.join(root, 'src');
if (fs.existsSync(src)) {
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  if (built < newestMtime(src)) {
    let esbuild;
    try {
      esbuild = require('esbuild');
    } catch {
      if (!built) {
        process.stderr.write('jupyter-mcp: dist/cli.js is missing and esbuild is not installed: run "npm install" first.\n');
        process.exit(1);
      }
    }
    if (esbuild) {
      esbuild.buildSync({
        entryPoints: [path.join(src, 'cli.ts')],
        outfile: bundle,
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        sourcemap: true,
        sourcesContent: false,
        logLevel: 'warning',
        external: ['vscode', 'bufferutil', 'utf-8-validate'],
      });
    }
  }
}
require(bundle);
