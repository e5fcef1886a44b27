// Picks the kernel backend from the settings: offline, a configured Jupyter server, a private
// local Jupyter server started on first use, or a backend that explains how to connect one.
import type { Settings } from '../config';
import type { Logger } from '../util/log';
import type { KernelBackend } from './backend';
import { displayUrl, JupyterServerBackend } from './jupyter';
import { LocalJupyterBackend } from './localBackend';
import { NotConfiguredBackend, OfflineBackend } from './offline';

export async function createKernelBackend(settings: Settings, log: Logger): Promise<KernelBackend> {
  if (settings.jupyter.offline) return new OfflineBackend();
  if (settings.jupyter.url) {
    // With its base path (a JupyterHub user's server is /user/NAME/), never with a token.
    log.info(`kernels: Jupyter server at ${displayUrl(settings.jupyter.url)}`);
    return new JupyterServerBackend({ url: settings.jupyter.url, token: settings.jupyter.token, log, root: settings.root, jupyterRoot: settings.jupyter.jupyterRoot });
  }
  if (settings.jupyter.startLocal) {
    log.info('kernels: a local Jupyter server will be started on first use (python3 -m jupyter_server)');
    return new LocalJupyterBackend({ rootDir: settings.root, log });
  }
  return new NotConfiguredBackend('--no-local-jupyter was given and there is no --url');
}
