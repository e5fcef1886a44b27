// Kernelspecs and the kernel lifecycle on a Jupyter server: start, stop, interrupt, restart, and
// a kernel's language. Notebook sessions (which kernel belongs to which notebook) are in
// jupyterSessions.ts; running code is in jupyterExecution.ts.
import type * as JS from '@jupyterlab/services';
import { KernelError, type ActiveKernelInfo, type KernelSpecInfo } from './backend';
import { BACKEND, sleep, type JupyterLink } from './jupyterLink';
import { services } from './jupyterServices';
import { checkKernelId } from './wire';

/** A kernel's model as list_kernels and start_kernel show it. */
export function toInfo(m: JS.Kernel.IModel, notebook?: string): ActiveKernelInfo {
  return {
    id: m.id,
    name: m.name,
    state: m.execution_state ?? 'unknown',
    ...(m.last_activity ? { last_activity: m.last_activity } : {}),
    ...(typeof m.connections === 'number' ? { connections: m.connections } : {}),
    ...(notebook ? { notebook } : {}),
    backend: BACKEND,
  };
}

export class JupyterKernels {
  /** Kernel id -> its language (from its kernelspec), for the inspection tools. */
  private readonly languages = new Map<string, string>();

  constructor(private readonly link: JupyterLink) {}

  async specs(): Promise<{ default?: string; available: KernelSpecInfo[] }> {
    const { KernelSpecAPI } = services();
    const specs = await this.link.rest('list kernelspecs', () => KernelSpecAPI.getSpecs(this.link.settings));
    const available: KernelSpecInfo[] = Object.entries(specs.kernelspecs ?? {})
      .filter(([, s]) => !!s)
      .map(([name, s]) => ({ name, display_name: s!.display_name || name, language: s!.language || '', backend: BACKEND }));
    return { default: specs.default || undefined, available };
  }

  /** The kernelspec to start: `name` if the server has it, else the server's default. */
  async resolveSpec(name?: string): Promise<string> {
    const { default: def, available } = await this.specs();
    const wanted = name || def || available[0]?.name;
    if (wanted && available.some((s) => s.name === wanted)) return wanted;
    const list = available.map((s) => `${s.name} (${s.display_name})`).join(', ') || 'none';
    throw new KernelError(
      `Unknown kernel "${wanted ?? ''}" on the Jupyter server at ${this.link.url}. Available kernels: ${list}. ` +
        'Call start_kernel with one of these kernel_name values (and pass its kernel_id), or install the kernelspec on the server.',
      'unknown-spec',
    );
  }

  async hasKernel(kernelId: string): Promise<boolean> {
    checkKernelId(kernelId);
    const { KernelAPI } = services();
    return !!(await this.link.rest('get the kernel', () => KernelAPI.getKernelModel(kernelId, this.link.settings), kernelId));
  }

  async startKernel(kernelName?: string): Promise<ActiveKernelInfo> {
    const { KernelAPI } = services();
    const name = await this.resolveSpec(kernelName);
    // path "": the kernel starts in the server's root folder, said explicitly (the server's own
    // working folder is not the workspace when we start it: see localServer.ts).
    const model = await this.link.rest(`start a "${name}" kernel`, () => KernelAPI.startNew({ name, path: '' } as { name: string }, this.link.settings));
    this.link.owned.set(model.id, undefined);
    this.link.log.info(`kernel started ${model.id} (${name}) on ${this.link.url}`);
    // Wait for the kernel to answer kernel_info so that start failures surface here, not later.
    await this.link.ready(model.id, 60_000, true);
    return toInfo({ ...model, execution_state: 'idle' });
  }

  async stopKernel(kernelId: string): Promise<void> {
    const { KernelAPI } = services();
    // The REST helper treats 404 as success; an unknown id must say so instead.
    await this.link.model(kernelId);
    this.link.dropConnection(kernelId);
    await this.link.rest('shut down the kernel', () => KernelAPI.shutdownKernel(kernelId, this.link.settings), kernelId);
    this.link.owned.delete(kernelId);
    this.link.log.info(`kernel stopped ${kernelId}`);
  }

  async interruptKernel(kernelId: string): Promise<void> {
    checkKernelId(kernelId);
    const { KernelAPI } = services();
    await this.link.rest('interrupt the kernel', () => KernelAPI.interruptKernel(kernelId, this.link.settings), kernelId);
  }

  async restartKernel(kernelId: string): Promise<void> {
    // Before it is joined into a URL: "." would POST /api/kernels/restart, ".." /api/restart.
    checkKernelId(kernelId);
    const { KernelAPI } = services();
    this.link.restarting.add(kernelId);
    try {
      // A fresh websocket after the restart: the old one may point at the old kernel's ports, and
      // the REST restart also revives a kernel whose process died.
      this.link.dropConnection(kernelId);
      const restart = () => this.link.rest('restart the kernel', () => KernelAPI.restartKernel(kernelId, this.link.settings), kernelId);
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await restart();
          break;
        } catch (e) {
          // jupyter_server answers 500 while it is itself reviving a kernel whose process died
          // (its restarter runs every few seconds): wait for that to finish and ask again.
          if (!(e instanceof KernelError) || e.code !== 'kernel' || Date.now() > deadline) throw e;
          await sleep(500);
        }
      }
      await this.link.ready(kernelId, 60_000, true);
    } finally {
      this.link.restarting.delete(kernelId);
    }
    this.link.log.info(`kernel restarted ${kernelId}`);
  }

  /** From the kernelspec (REST), so a kernel busy with a long cell still answers at once. */
  async kernelLanguage(kernelId: string): Promise<string> {
    const known = this.languages.get(kernelId);
    if (known) return known;
    const { name } = await this.link.model(kernelId);
    const language = ((await this.specs()).available.find((s) => s.name === name)?.language || 'unknown').toLowerCase();
    this.languages.set(kernelId, language);
    return language;
  }
}
