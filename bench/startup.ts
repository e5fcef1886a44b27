// Scenario 6: start-up and size.
//   - activation of the extension's own code: dist/extension.js required and activate()d against a
//     minimal fake `vscode` (bench/activation-child.js), in fresh processes;
//   - the standalone server's start (node dist/cli.js until it listens);
//   - bundle sizes: dist/*.js as built, and a production (minified) build made in a temp folder;
//   - .vsix: packaged with @vscode/vsce in a temp copy (package.json, media, production bundles), so
//     the repository's dist/ is never rebuilt by the bench.
// Activation in the real VS Code host is measured with scenario 2 (bench/editor.ts), in the same host.
import { spawnSync } from 'child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { log, ROOT, row, startProductServer, stats, timeRuns, type Row } from './lib';

const S6 = '6 startup/size';
const ENTRIES: Array<[string, string]> = [
  ['src/extension.ts', 'extension.js'],
  ['src/editor/runtime.ts', 'runtime.js'],
  ['src/cli.ts', 'cli.js'],
];

export async function runStartup(o: { quick: boolean }): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  const runs = o.quick ? 5 : 15;

  // Activation (own code) with the fake vscode.
  for (const autoStart of [false, true]) {
    const xs: number[] = [];
    const self: number[] = [];
    const req: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [path.join(__dirname, 'activation-child.js'), ...(autoStart ? ['--auto-start'] : [])], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`activation child failed: ${r.stderr.split('\n').slice(0, 6).join(' ')}`);
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
      xs.push(j.totalMs);
      self.push(j.selfReportedMs ?? NaN);
      req.push(j.requireMs);
    }
    rows.push(
      row(S6, `activation, own code: require(dist/extension.js) + activate()${autoStart ? ' (autoStart on)' : ' (autoStart off)'}, fake vscode`, xs, {
        target: '≤ 50 ms',
        pass: stats(xs).p50 <= 50,
        note: `require p50 ${stats(req).p50.toFixed(1)} ms; activate() self-reported p50 ${stats(self).p50.toFixed(2)} ms; fresh process each run`,
      }),
    );
  }

  // Standalone server start: spawn until "listening".
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-start-'));
  const start = await timeRuns(o.quick ? 3 : 8, async () => {
    const s = await startProductServer(dir);
    await s.stop();
  });
  const cliMb = (statSync(path.join(ROOT, 'dist', 'cli.js')).size / 1e6).toFixed(1);
  rows.push(row(S6, 'standalone server start (node dist/cli.js until listening)', start, { note: `includes Node start-up (≈ 40 ms) and loading the ${cliMb} MB bundle` }));
  rmSync(dir, { recursive: true, force: true });

  // Bundle sizes as built by `node esbuild.js` (development: with source maps, not minified).
  const dist = path.join(ROOT, 'dist');
  const built: Record<string, number> = {};
  for (const f of existsSync(dist) ? readdirSync(dist) : []) if (f.endsWith('.js')) built[f] = statSync(path.join(dist, f)).size;
  for (const [f, size] of Object.entries(built)) rows.push({ scenario: S6, case: `bundle dist/${f} (as built, not minified)`, value: size / 1024, unit: 'KB' });
  extra.devBundles = built;

  // Production build (what the .vsix ships) into a temp folder.
  const tmp = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-pkg-'));
  const prodDist = path.join(tmp, 'dist');
  mkdirSync(prodDist);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const prod: Record<string, number | string> = {};
  for (const [entry, out] of ENTRIES) {
    try {
      await esbuild.build({
        entryPoints: [path.join(ROOT, entry)],
        outfile: path.join(prodDist, out),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        minify: true,
        sourcemap: false,
        logLevel: 'silent',
        external: ['vscode', 'bufferutil', 'utf-8-validate'],
      });
      prod[out] = statSync(path.join(prodDist, out)).size;
      rows.push({ scenario: S6, case: `bundle ${out} (production, minified)`, value: (prod[out] as number) / 1024, unit: 'KB' });
    } catch (e) {
      prod[out] = `build failed: ${(e as Error).message.split('\n')[0]}`;
      rows.push({ scenario: S6, case: `bundle ${out} (production, minified)`, note: String(prod[out]) });
    }
  }
  extra.prodBundles = prod;

  // .vsix with vsce, in the temp copy.
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  let vsixNote = '';
  if (!existsSync(vsce)) vsixNote = 'not measured: @vscode/vsce is not installed (npm run package)';
  else if (Object.values(prod).some((v) => typeof v === 'string')) vsixNote = 'not measured: a production bundle failed to build';
  else {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    delete pkg.scripts?.['vscode:prepublish']; // bundles are already built above
    writeFileSync(path.join(tmp, 'package.json'), JSON.stringify(pkg, null, 2));
    for (const f of ['.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.md', 'LICENSE.txt']) {
      if (existsSync(path.join(ROOT, f))) copyFileSync(path.join(ROOT, f), path.join(tmp, f));
    }
    if (existsSync(path.join(ROOT, 'media'))) cpSync(path.join(ROOT, 'media'), path.join(tmp, 'media'), { recursive: true });
    const out = path.join(tmp, 'jupyter-mcp.vsix');
    const t = performance.now();
    const r = spawnSync(vsce, ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--baseContentUrl', 'https://example.invalid/', '--baseImagesUrl', 'https://example.invalid/', '--out', out], { cwd: tmp, encoding: 'utf8', input: 'y\n' });
    const ms = performance.now() - t;
    if (r.status === 0 && existsSync(out)) {
      const size = statSync(out).size;
      extra.vsix = { bytes: size, packageMs: ms, hasVscodeignore: existsSync(path.join(ROOT, '.vscodeignore')) };
      rows.push({
        scenario: S6,
        case: '.vsix (vsce package --no-dependencies, production bundles)',
        value: size / 1024,
        unit: 'KB',
        target: '≤ 2 MB',
        pass: size <= 2 * 1024 * 1024,
        note: `packaged in ${(ms / 1000).toFixed(1)} s from a temp copy (package.json, media/, dist/*.js${existsSync(path.join(ROOT, '.vscodeignore')) ? ', .vscodeignore' : ''})`,
      });
    } else vsixNote = `not measured: vsce failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' ')}`;
  }
  if (vsixNote) rows.push({ scenario: S6, case: '.vsix', target: '≤ 2 MB', note: vsixNote });
  log(`startup: ${vsixNote || 'vsix packaged'}`);
  rmSync(tmp, { recursive: true, force: true });
  return { rows, extra };
}
