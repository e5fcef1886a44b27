// Runs the extension in a REAL VS Code extension host (code-server + headless chromium): installs
// the host if needed (once per user into ~/.cache/jupyter-mcp, minutes and ≈ 820 MB the first time,
// < 1 s after; .vscode-host links to it), builds
// the in-host mocha suite (test/host/suite), runs it against dist/extension.js and checks it passed.
// Run alone: `npm run build && node --import tsx --test test/host/host.test.ts`.
// Set JUPYTER_MCP_SKIP_HOST_TESTS=1 to skip (e.g. on a machine without apt or network).
import { spawnSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { hostUnavailable, runHostTests, startHost, taggedPids, type RunningHost } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');


function runNode(script: string): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, script)], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  assert.equal(r.status, 0, `node ${script} failed (exit ${r.status ?? r.signal})`);
}

function readProc(pid: number, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return '';
  }
}

function tempWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-mcp-host-ws-'));
  fs.cpSync(path.join(__dirname, 'workspace'), ws, { recursive: true });
  return ws;
}

const skip = hostUnavailable();

test('the extension passes its tests in a real VS Code extension host', { skip, timeout: 1_600_000 }, async () => {
  runNode('scripts/install-vscode-host.js'); // < 1 s when installed (npm test installs it first)
  runNode('scripts/build-host-tests.js');
  // `npm test` builds the extension before the tests; run on its own, build it if it is missing.
  if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) runNode('esbuild.js');
  const workspace = tempWorkspace();
  try {
    const result = await runHostTests({
      extensionPath: ROOT,
      testsPath: path.join(ROOT, 'out', 'test', 'host', 'suite', 'index.js'),
      workspace,
      // A small stand-in for ms-toolsai.jupyter with the same kernels API shape
      // (test/host/fixtures/fake-jupyter) keeps this suite quick; realJupyter.test.ts runs the real one.
      extraExtensionPaths: [path.join(__dirname, 'fixtures', 'fake-jupyter')],
      // Under load the whole run took more than 300 s and was cut off while progressing. What marks
      // a hang is silence (each in-host test has its own mocha time-out and reports when hit).
      timeoutMs: 1_500_000,
      idleTimeoutMs: 180_000,
      onOutput: (line) => {
        if (line.trim()) process.stderr.write(`  [host] ${line}\n`);
      },
    });
    if (result.exitCode !== 0 || process.env.JUPYTER_MCP_HOST_VERBOSE === '1') {
      const lines = process.env.JUPYTER_MCP_HOST_VERBOSE === '1' ? result.log : result.log.slice(-60);
      process.stderr.write(`--- the host's log (code-server, workbench) ---\n${lines.join('\n')}\n`);
    }
    process.stderr.write(`  [host] whole run ${(result.durationMs / 1000).toFixed(1)} s\n`);
    assert.equal(result.timedOut, false, `the in-host tests did not finish: ${result.log.filter((l) => l.startsWith('[harness]')).join('; ')}`);
    assert.equal(result.exitCode, 0, 'the in-host tests failed: see the [host] lines above');
    assert.ok(
      result.output.some((l) => /\d+ passing/.test(l)),
      'the in-host mocha report never arrived (no "N passing" line)',
    );
    assert.deepEqual(result.leftoverPids, [], 'processes of the host were left running');
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});

test('a kept-open host loads the extension and stops cleanly', { skip, timeout: 200_000 }, async () => {
  // Needs what the first test installed and built: node:test runs a file's tests in order.
  const workspace = tempWorkspace();
  const portFile = path.join(workspace, '.mcp-port');
  let host: RunningHost | undefined;
  let leftover: number[] = [];
  try {
    host = await startHost({
      extensionPath: ROOT,
      workspace,
      env: { JUPYTER_MCP_PORT_FILE: portFile },
      timeoutMs: 90_000,
    });
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\//);
    const healthz = await fetch(`http://127.0.0.1:${host.port}/healthz`);
    assert.equal(healthz.status, 200);
    // The extension host starts only once the page is open, and loads our extension.
    await host.waitFor(/Loading development extension at /, 60_000);
    await host.waitFor(/Launched Extension Host Process/, 60_000);
    // Environment given to code-server reaches the extension host (how tests hand the extension
    // e.g. the file to publish its MCP port in).
    const extHost = taggedPids(host.tag).find((pid) => readProc(pid, 'cmdline').includes('extensionHost'));
    assert.ok(extHost, 'no extension host process found');
    assert.ok(readProc(extHost, 'environ').split('\0').includes(`JUPYTER_MCP_PORT_FILE=${portFile}`));
  } finally {
    if (host) leftover = await host.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
  await assert.rejects(fetch(`http://127.0.0.1:${host.port}/healthz`), 'code-server still answers after stop()');
});
