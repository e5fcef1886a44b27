// Bundles the extension (dist/extension.js + dist/runtime.js, loaded lazily) and the standalone
// server (dist/cli.js).
// Usage: node esbuild.js [--production] [--watch] [--run]
//   --run   (with --watch) restarts the standalone server after each rebuild: `npm run dev`.
const esbuild = require('esbuild');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const run = process.argv.includes('--run');

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  // `vscode` is provided by the editor. `bufferutil`/`utf-8-validate` are optional native
  // speed-ups that `ws` probes for at run time; we never ship them.
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
};

let child;
function restart() {
  if (child) child.kill('SIGTERM');
  // Everything that is not one of our flags goes to the server: `npm run dev -- --port 4000`.
  const passthrough = process.argv.slice(2).filter((a) => !['--watch', '--run', '--production', '--'].includes(a));
  child = spawn(process.execPath, ['dist/cli.js', ...passthrough], { stdio: 'inherit' });
}

const runPlugin = {
  name: 'run-after-build',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length === 0) {
        console.error(`[dev] built ${build.initialOptions.outfile}`);
        if (run && build.initialOptions.outfile.endsWith('cli.js')) restart();
      }
    });
  },
};

// plotly.js for the MCP Apps output viewer (src/server/apps): served as a ui:// resource, read from
// beside the bundle. The cartesian bundle (1.5 MB, MIT) covers the charts Plotly Express draws most
// (scatter, line, bar, histogram, box, violin, heatmap, pie) and needs no eval, which the host's
// Content-Security-Policy forbids.
function copyAssets() {
  fs.mkdirSync('dist', { recursive: true });
  const file = 'plotly-cartesian.min.js';
  fs.copyFileSync(path.join(path.dirname(require.resolve('plotly.js-cartesian-dist-min/package.json')), file), path.join('dist', file));
}

async function main() {
  copyAssets();
  const targets = [
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
    // The extension's heavy half (server, SDK, stores, kernels), loaded when the server starts.
    { ...common, entryPoints: ['src/editor/runtime.ts'], outfile: 'dist/runtime.js' },
    { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js' },
  ];
  if (watch) {
    for (const t of targets) {
      const ctx = await esbuild.context({ ...t, plugins: [runPlugin] });
      await ctx.watch();
    }
    return;
  }
  await Promise.all(targets.map((t) => esbuild.build(t)));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
