// apt-get for the installers (install-jupyter.js, install-vscode-host.js), patient with other package
// managers: when another apt-get or dpkg holds its lock (an unattended upgrade, a second install in
// another terminal), wait for it to finish instead of failing at once.
//
// apt-get's own `-o DPkg::Lock::Timeout=N` covers only the dpkg frontend lock; `apt-get update`
// takes the lists lock and fails at once ("Could not get lock /var/lib/apt/lists/lock"). So we run
// apt-get, and when it failed for a lock only, wait and run it again. A lock failure changes nothing
// on the system, so the retry is safe.
'use strict';
const { spawnSync } = require('child_process');

/** What apt-get and dpkg print when another process holds one of their locks. */
const LOCK_ERROR = /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock (the )?(directory|administration directory)|dpkg (status database|frontend lock) is locked by another process/i;
const HOLDER = /held by process (\d+)(?: \(([^)]+)\))?/i;

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `apt-get ...args` (with `sudo -n` when not root), waiting for other package managers'
 * locks up to `waitMs` (default 20 min; env JUPYTER_MCP_APT_WAIT_S). Returns apt-get's exit status
 * and what it printed. Never throws for a failing apt-get: the caller decides.
 *   opts.log(msg)     one line for the person (default: stderr)
 *   opts.echo         write apt-get's output to stderr as it was captured (default true)
 *   opts.aptGet       the apt-get command (tests pass a stand-in)
 *   opts.pollMs       pause between attempts while locked (default 3 s)
 */
function aptGet(args, opts = {}) {
  const log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
  const waitMs = opts.waitMs ?? (Number(process.env.JUPYTER_MCP_APT_WAIT_S) || 1200) * 1000;
  const pollMs = opts.pollMs ?? 3000;
  const echo = opts.echo ?? true;
  const aptCmd = opts.aptGet ?? 'apt-get';
  // sudo asks for a password on the terminal when there is one; without one it must not hang.
  const sudo = !opts.aptGet && process.getuid && process.getuid() !== 0 ? (process.stdin.isTTY ? ['sudo'] : ['sudo', '-n']) : [];
  const [cmd, ...cmdArgs] = [...sudo, aptCmd, '-o', `DPkg::Lock::Timeout=${Math.ceil(pollMs / 1000)}`, ...args];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...opts.env };
  const started = Date.now();
  let lastNote = 0;
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(cmd, cmdArgs, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.error) return { status: null, output: `${output}${r.error.message}`, attempts: attempt, waitedMs: Date.now() - started };
    const locked = r.status !== 0 && LOCK_ERROR.test(output);
    if (!locked || Date.now() - started > waitMs) {
      if (echo && output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
      if (locked) log(`[apt] gave up after waiting ${Math.round((Date.now() - started) / 1000)} s for another package manager to release its lock (JUPYTER_MCP_APT_WAIT_S to wait longer).`);
      return { status: r.status, output, attempts: attempt, waitedMs: Date.now() - started, locked };
    }
    // Say so once, then every 30 s, so that a long wait does not look like a hang.
    if (Date.now() - lastNote >= 30_000) {
      lastNote = Date.now();
      const holder = HOLDER.exec(output);
      const who = holder ? `process ${holder[1]}${holder[2] ? ` (${holder[2]})` : ''}` : 'another apt-get or dpkg';
      log(`[apt] ${who} holds the package manager's lock: waiting for it to finish before "apt-get ${args.join(' ')}" …`);
    }
    sleepMs(pollMs);
  }
}

module.exports = { aptGet, LOCK_ERROR };
