// A real JupyterHub for tests: Debian's jupyterhub 3.0 with npm's configurable-http-proxy (a
// devDependency), DummyAuthenticator and SimpleLocalProcessSpawner; single-user servers are
// Debian's jupyter_server 1.23 through jupyterhub-singleuser. Everything listens on 127.0.0.1,
// on free ports, with its state in a temp folder. An admin service token drives the hub's REST API
// (users, servers, scoped tokens) as a hub admin would; stop() stops the hub, which stops the
// proxy and the user servers it started.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import * as net from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { ensureJupyterInstalled, PYTHON } from './jupyter';

const ROOT = path.join(__dirname, '..', '..');
const PROXY = path.join(ROOT, 'node_modules', '.bin', 'configurable-http-proxy');
const HUB = '/usr/bin/jupyterhub';

/** Installs Debian's jupyterhub once if it is missing (idempotent, like ensureJupyterInstalled). */
export function ensureHubInstalled(): void {
  ensureJupyterInstalled();
  if (spawnSync(PYTHON, ['-c', 'import jupyterhub'], { stdio: 'ignore' }).status === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', 'jupyterhub']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TestHub {
  /** Public URL (the proxy), with a trailing slash: http://127.0.0.1:P/ */
  url: string;
  /** Folder under which each user's server runs (home_dir_template = <homes>/<name>). */
  homes: string;
  /** Calls the hub REST API (/hub/api/...) with the admin service token. */
  api(method: string, apiPath: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Creates the user if needed and starts their default server; resolves once it answers. */
  startServer(name: string): Promise<void>;
  /** Stops the user's server and waits until the hub reports it stopped. */
  stopServer(name: string): Promise<void>;
  /** A token for the user, limited to `scopes` when given (else the user's own full permissions). */
  userToken(name: string, scopes?: string[]): Promise<string>;
  /** The hub's own log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export async function startHub(): Promise<TestHub> {
  ensureHubInstalled();
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-hub-'));
  const homes = path.join(dir, 'homes');
  mkdirSync(homes);
  const [port, hubPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const adminToken = randomBytes(24).toString('hex');
  const jupyterDirs = {
    JUPYTER_CONFIG_DIR: path.join(dir, 'jupyter-config'),
    JUPYTER_DATA_DIR: path.join(dir, 'jupyter-data'),
    JUPYTER_RUNTIME_DIR: path.join(dir, 'jupyter-runtime'),
    IPYTHONDIR: path.join(dir, 'ipython'),
    MPLCONFIGDIR: path.join(dir, 'mpl'),
  };
  const config = `
c.JupyterHub.ip = '127.0.0.1'
c.JupyterHub.port = ${port}
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = ${hubPort}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${apiPort}'
c.ConfigurableHTTPProxy.command = [${JSON.stringify(PROXY)}]
c.JupyterHub.db_url = 'sqlite:///${path.join(dir, 'hub.sqlite')}'
c.JupyterHub.cookie_secret_file = ${JSON.stringify(path.join(dir, 'cookie_secret'))}
c.JupyterHub.pid_file = ${JSON.stringify(path.join(dir, 'hub.pid'))}
c.JupyterHub.authenticator_class = 'dummy'
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = ${JSON.stringify(path.join(homes, '{username}'))}
c.Spawner.cmd = ['/usr/bin/jupyterhub-singleuser']
# The tests run as root on CI; jupyter_server refuses root without this.
c.Spawner.args = ['--allow-root']
c.Spawner.environment = ${JSON.stringify(jupyterDirs)}
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.JupyterHub.services = [{'name': 'test-admin', 'api_token': ${JSON.stringify(adminToken)}}]
c.JupyterHub.load_roles = [{'name': 'test-admin', 'scopes': ['admin:users', 'admin:servers', 'admin:server_state', 'tokens', 'read:users'], 'services': ['test-admin']}]
`;
  const configFile = path.join(dir, 'jupyterhub_config.py');
  writeFileSync(configFile, config, { mode: 0o600 });
  let log = '';
  const proc: ChildProcess = spawn(HUB, ['-f', configFile], {
    cwd: dir,
    env: { ...process.env, ...jupyterDirs, PATH: `${path.dirname(PROXY)}:/usr/bin:/bin:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}/`;

  const api: TestHub['api'] = async (method, apiPath, body) => {
    const init = {
      method,
      headers: { Authorization: `token ${adminToken}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    };
    // A pooled keep-alive connection the proxy has closed fails once with "other side closed".
    const res = await fetch(`${url}hub/api/${apiPath}`, init).catch(() => fetch(`${url}hub/api/${apiPath}`, init));
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };

  /** PIDs of the running user servers (SimpleLocalProcessSpawner keeps them in its state). */
  const serverPids = async (): Promise<number[]> => {
    try {
      const users = (await api('GET', 'users')).json as Array<{ servers?: Record<string, { state?: { pid?: unknown } }> }>;
      return users.flatMap((u) => Object.values(u.servers ?? {}).map((sv) => sv.state?.pid)).filter((p): p is number => typeof p === 'number' && p > 0);
    } catch {
      return [];
    }
  };

  const stop = async () => {
    // User servers run in their own sessions, outside the hub's process group: note them first,
    // so none outlives the tests even if the hub does not stop them itself.
    const pids = proc.exitCode === null ? await serverPids() : [];
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      // The hub stops the proxy and the user servers it spawned on SIGTERM; give it time, then
      // make sure nothing of its process group is left.
      await Promise.race([exited, sleep(15_000)]);
    }
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
        await sleep(2000);
        process.kill(pid, 'SIGKILL');
      } catch {
        // Stopped by the hub, as it should be.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when the hub API answers through the proxy.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`jupyterhub exited with ${proc.exitCode}:\n${log}`);
    }
    try {
      if ((await api('GET', 'users')).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyterhub did not answer within 60 s:\n${log}`);
    }
    await sleep(250);
  }

  const serverState = async (name: string) => (await api('GET', `users/${name}`)).json?.servers?.[''] as { ready?: boolean; pending?: string | null } | undefined;

  return {
    url,
    homes,
    api,
    log: () => log,
    stop,
    async startServer(name) {
      const exists = await api('GET', `users/${name}`);
      if (exists.status === 404) {
        const created = await api('POST', `users/${name}`);
        if (created.status !== 201) throw new Error(`creating hub user ${name}: ${created.status} ${JSON.stringify(created.json)}`);
      }
      mkdirSync(path.join(homes, name), { recursive: true });
      const r = await api('POST', `users/${name}/server`);
      if (r.status !== 201 && r.status !== 202 && r.status !== 400) throw new Error(`starting ${name}'s server: ${r.status} ${JSON.stringify(r.json)}\n${log}`);
      const until = Date.now() + 60_000;
      while (!(await serverState(name))?.ready) {
        if (Date.now() > until) throw new Error(`${name}'s server did not become ready within 60 s:\n${log}`);
        await sleep(250);
      }
    },
    async stopServer(name) {
      const r = await api('DELETE', `users/${name}/server`);
      if (r.status !== 204 && r.status !== 202) throw new Error(`stopping ${name}'s server: ${r.status} ${JSON.stringify(r.json)}`);
      const until = Date.now() + 60_000;
      while (await serverState(name)) {
        if (Date.now() > until) throw new Error(`${name}'s server did not stop within 60 s`);
        await sleep(250);
      }
    },
    async userToken(name, scopes) {
      const r = await api('POST', `users/${name}/tokens`, { note: 'jupyter-mcp tests', expires_in: 3600, ...(scopes ? { scopes } : {}) });
      if (r.status !== 201 || typeof r.json?.token !== 'string') throw new Error(`token for ${name}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.token;
    },
  };
}
