// Picks the kernel backend from the settings: offline, a configured Jupyter server, a private
// local Jupyter server started on first use, or a backend that explains how to connect one.
import { execFile } from 'child_process';
import type { Settings } from '../config';
import type { Logger } from '../util/log';
import type { KernelBackend } from './backend';
import { childEnv, privateCwd } from './childProcess';
import { displayUrl, JupyterServerBackend } from './jupyter';
import { LocalJupyterBackend } from './localBackend';
import { DEFAULT_PYTHONS } from './localServer';
import { NotConfiguredBackend, OfflineBackend } from './offline';

/** `pythons`: the interpreters a local Jupyter server may run on (tests name others). */
export async function createKernelBackend(settings: Settings, log: Logger, pythons: string[] = DEFAULT_PYTHONS): Promise<KernelBackend> {
  if (settings.jupyter.offline) return new OfflineBackend();
  if (settings.jupyter.url) {
    // With its base path (a JupyterHub user's server is /user/NAME/), never with a token.
    log.info(`kernels: Jupyter server at ${displayUrl(settings.jupyter.url)}`);
    return new JupyterServerBackend({ url: settings.jupyter.url, token: settings.jupyter.token, log, root: settings.root, jupyterRoot: settings.jupyter.jupyterRoot });
  }
  if (settings.jupyter.startLocal) {
    // Say at start whether kernels can work here, instead of letting the first kernel call find out.
    // Probed in the background (importing jupyter_server takes ~0.5 s) so start-up is not delayed.
    void probeJupyterPython(pythons).then((python) => {
      if (python) log.info(`kernels: a local Jupyter server (${python} -m jupyter_server) will be started on first kernel use`);
      else log.warn(`kernels: no usable Jupyter: ${pythons.join(' and ')} cannot import jupyter_server and ipykernel. Notebook tools work; kernel tools will fail until you install them (apt-get install jupyter-server python3-ipykernel, or pip install jupyter-server ipykernel), or pass --url URL --token TOKEN.`);
    });
    return new LocalJupyterBackend({ rootDir: settings.root, log, pythons });
  }
  return new NotConfiguredBackend('--no-local-jupyter was given and there is no --url');
}

/** The first interpreter that imports jupyter_server and ipykernel, without blocking the event loop. */
function probeJupyterPython(pythons: string[]): Promise<string | undefined> {
  return pythons.reduce<Promise<string | undefined>>(
    (found, py) =>
      found.then(
        (hit) =>
          hit ??
          new Promise((resolve) =>
            // In a private empty folder, not the start folder: `python -c` imports from there first.
            execFile(py, ['-c', 'import jupyter_server, ipykernel'], { timeout: 20_000, cwd: privateCwd(), env: childEnv() }, (err) => resolve(err ? undefined : py)),
          ),
      ),
    Promise.resolve(undefined),
  );
}
