// The installers wait for another package manager instead of aborting (scripts/apt.js). A newcomer's
// `npm test` failed at once because an unattended apt-get held the lock.
// Real apt-get and a real lock: apt-get takes fcntl locks on its archives and lists folders; pointing
// those at private folders (-o Dir::Cache::Archives / Dir::State::Lists) lets a test hold the lock
// from another process without touching the system's package state (`apt-get clean` of an empty
// private folder changes nothing else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { aptGet } = require('../../scripts/apt.js') as {
  aptGet(
    args: string[],
    opts?: { log?: (m: string) => void; echo?: boolean; waitMs?: number; pollMs?: number },
  ): { status: number | null; output: string; attempts: number; locked?: boolean };
};

const skip = !existsSync('/usr/bin/apt-get') ? 'no apt-get (Debian-only installer)' : !existsSync('/usr/bin/python3') ? 'no python3 to hold the lock' : false;

function privateApt(): { dir: string; args: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-apt-'));
  for (const d of ['archives/partial', 'lists/partial']) mkdirSync(path.join(dir, d), { recursive: true });
  const args = [
    '-o', `Dir::Cache::Archives=${path.join(dir, 'archives')}`,
    '-o', `Dir::State::Lists=${path.join(dir, 'lists')}`,
    '-o', 'Dir::Cache::pkgcache=',
    '-o', 'Dir::Cache::srcpkgcache=',
    'clean',
  ];
  return { dir, args };
}

/** A python3 process that holds apt's lock on `lockFile` until its stdin closes; resolves once held. */
async function holdLock(lockFile: string): Promise<ChildProcess> {
  const holder = spawn('/usr/bin/python3', ['-c', `import fcntl,sys\nf=open(${JSON.stringify(lockFile)},'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\nsys.stdin.read()`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (c) => reject(new Error(`the lock holder exited (${c})`)));
  });
  return holder;
}

test('apt-get waits while another process holds the lock, then runs', { skip }, async () => {
  const { dir, args } = privateApt();
  const holder = await holdLock(path.join(dir, 'archives', 'lock'));
  try {
    // Without waiting, apt-get fails at once for the lock: the situation a newcomer met.
    const direct = spawnSync('apt-get', args, { encoding: 'utf8' });
    assert.equal(direct.status, 100, direct.stderr);
    assert.match(direct.stderr, /Could not get lock/);

    const notes: string[] = [];
    // aptGet is synchronous (the installers are plain scripts): release the lock from a child process
    // timer rather than from this event loop, which aptGet blocks.
    spawn('/bin/sh', ['-c', `sleep 1; kill ${holder.pid}`], { stdio: 'ignore' });
    const r = aptGet(args, { log: (m) => notes.push(m), echo: false, pollMs: 200, waitMs: 60_000 });
    assert.equal(r.status, 0, r.output);
    assert.ok(r.attempts > 1, 'it never met the lock');
    assert.equal(notes.length, 1, notes.join('\n'));
    assert.match(notes[0], new RegExp(`process ${holder.pid} \\(python3\\) holds the package manager's lock: waiting`));
  } finally {
    holder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('apt-get gives up after the wait limit with the reason, and other failures are not retried', { skip }, async () => {
  const { dir, args } = privateApt();
  const holder = await holdLock(path.join(dir, 'archives', 'lock'));
  try {
    const notes: string[] = [];
    const r = aptGet(args, { log: (m) => notes.push(m), echo: false, pollMs: 100, waitMs: 300 });
    assert.equal(r.status, 100);
    assert.equal(r.locked, true);
    assert.match(notes.at(-1)!, /gave up after waiting \d+ s for another package manager.*JUPYTER_MCP_APT_WAIT_S to wait longer/);
  } finally {
    holder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  // A failure that is not a lock (here: an unknown command) returns at once, after one attempt.
  const bad = aptGet(['no-such-command'], { echo: false, pollMs: 100 });
  assert.notEqual(bad.status, 0);
  assert.equal(bad.attempts, 1);
});
