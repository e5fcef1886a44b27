// `jupyter-mcp --check` / `npm run check`: walks through what running code needs (server reachable,
// token accepted, kernelspecs, a kernel that starts and answers, shutdown) and says for each step
// whether it works and, if not, what to change. Never prints the token.
import { KernelError } from './backend';
import { locateHub } from './hub';
import { JupyterServerBackend } from './jupyter';
import { startLocalJupyter, type LocalJupyter } from './localServer';

/** The part of the CLI settings the check reads. */
export interface CheckSettings {
  root?: string;
  jupyter: { url?: string; token?: string; offline?: boolean; startLocal?: boolean };
  execution?: { timeoutMs: number };
}

const ok = (s: string) => `  [ok]   ${s}`;
const fail = (s: string) => `  [FAIL] ${s}`;

/** Returns true when a kernel could be started, run `print(1+1)` and be stopped. */
export async function runConnectionCheck(settings: CheckSettings, print: (line: string) => void): Promise<boolean> {
  if (settings.jupyter.offline) {
    print('Offline mode (--offline): no Jupyter server is used, kernel tools are disabled. Remove --offline to check a server.');
    return false;
  }
  let local: LocalJupyter | undefined;
  let url = settings.jupyter.url;
  let token = settings.jupyter.token;
  if (!url) {
    if (settings.jupyter.startLocal === false) {
      print('No Jupyter server configured (--url) and starting a local one is disabled (--no-local-jupyter).');
      print('  Fix: pass --url URL --token TOKEN of a running Jupyter server.');
      return false;
    }
    print('No --url given: starting a local Jupyter server (as the server would)...');
    try {
      const started = Date.now();
      local = await startLocalJupyter({ rootDir: settings.root ?? process.cwd() });
      url = local.url;
      token = local.token;
      print(ok(`local server ${local.url} started with ${local.python} in ${((Date.now() - started) / 1000).toFixed(1)} s`));
    } catch (e) {
      print(fail(e instanceof Error ? e.message : String(e)));
      return false;
    }
  }
  const backend = new JupyterServerBackend({ url, token });
  print(`Jupyter server: ${backend.url}${token ? ' (token set)' : ' (no token)'}`);
  let kernelId: string | undefined;
  try {
    const why = await backend.probe();
    if (why) {
      print(fail(why.message));
      return false;
    }
    print(ok('reachable, token accepted (GET /api/status)'));
    // A user's server behind a JupyterHub: say so (the hub can stop it; the token is a hub token).
    if (/\/user\/[^/]+\/$/.test(new URL(backend.url).pathname)) {
      const hub = await locateHub(backend.url);
      if (hub) print(ok(`behind JupyterHub ${hub.version} at ${hub.hubUrl}: ${hub.user}'s server (if the hub stops it, Jupyter MCP starts it again when the token has the scope servers!user=${hub.user}, else says where to)`));
    }

    const { available, active, default_kernel } = await backend.listKernels();
    if (!available.length) {
      print(fail('the server has no kernelspecs. Fix: install one on the server (e.g. `python3 -m ipykernel install --user`).'));
      return false;
    }
    print(ok(`kernelspecs: ${available.map((k) => `${k.name} (${k.display_name})`).join(', ')}${default_kernel ? `; default ${default_kernel}` : ''}; ${active.length} kernel(s) running`));

    let t = Date.now();
    const k = await backend.startKernel();
    kernelId = k.id;
    print(ok(`kernel started: ${k.id} (${k.name}) in ${((Date.now() - t) / 1000).toFixed(1)} s`));

    t = Date.now();
    const res = await backend.execute(k.id, 'print(1+1)', { timeoutMs: settings.execution?.timeoutMs ?? 30_000 });
    const text = res.outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : '')).join('').trim();
    if (res.status !== 'ok' || text !== '2') {
      print(fail(`print(1+1) gave status ${res.status}, output ${JSON.stringify(text)}${res.message ? `: ${res.message}` : ''}`));
      return false;
    }
    print(ok(`print(1+1) -> 2 in ${Date.now() - t} ms (kernel websocket works)`));

    await backend.stopKernel(k.id);
    kernelId = undefined;
    print(ok('kernel stopped'));
    print('All checks passed: kernel tools will work with this server.');
    return true;
  } catch (e) {
    const msg = e instanceof KernelError || e instanceof Error ? e.message : String(e);
    print(fail(msg));
    return false;
  } finally {
    if (kernelId) await backend.stopKernel(kernelId).catch(() => undefined);
    await backend.dispose();
    await local?.stop();
  }
}
