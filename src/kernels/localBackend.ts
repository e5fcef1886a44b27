// The backend used when no Jupyter server is configured: starts a private local server on the first
// kernel call (not at start-up, so sessions that only edit notebooks never spawn Python), then
// delegates to a JupyterServerBackend. If no interpreter has jupyter_server, every call explains
// how to install it or pass --url/--token.
import type { Logger } from '../util/log';
import { silentLogger } from '../util/log';
import {
  KernelError,
  type ActiveKernelInfo,
  type CompleteReply,
  type ExecuteOptions,
  type ExecuteResult,
  type InspectReply,
  type KernelBackend,
  type KernelSpecInfo,
  type QuietOptions,
  type SequenceOptions,
} from './backend';
import { JupyterServerBackend } from './jupyter';
import { startLocalJupyter, type LocalJupyter, type LocalJupyterOptions } from './localServer';
import { notConfiguredMessage } from './offline';

export class LocalJupyterBackend implements KernelBackend {
  readonly name = 'jupyter';
  private started: Promise<{ server: LocalJupyter; backend: JupyterServerBackend }> | undefined;
  private disposed = false;
  private readonly log: Logger;

  constructor(private readonly opts: LocalJupyterOptions) {
    this.log = opts.log ?? silentLogger;
  }

  /** The running local server's backend, starting the server on first use (once). */
  private async backend(): Promise<JupyterServerBackend> {
    if (this.disposed) throw new KernelError('The kernel backend was shut down.', 'connection');
    this.started ??= startLocalJupyter(this.opts).then(
      (server) => ({ server, backend: new JupyterServerBackend({ url: server.url, token: server.token, log: this.log }) }),
      (e: unknown) => {
        // Let a later call try again (e.g. after installing jupyter-server), with the same advice.
        this.started = undefined;
        const detail = e instanceof Error ? e.message : String(e);
        if (e instanceof KernelError && e.code === 'not-configured') throw new KernelError(notConfiguredMessage(detail), 'not-configured');
        throw e;
      },
    );
    return (await this.started).backend;
  }

  /** URL of the local server once started (for logs and the status bar). */
  async url(): Promise<string | undefined> {
    return this.started ? (await this.started.catch(() => undefined))?.server.url : undefined;
  }

  async listKernels(): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }> {
    return (await this.backend()).listKernels();
  }
  async startKernel(kernelName?: string): Promise<ActiveKernelInfo> {
    return (await this.backend()).startKernel(kernelName);
  }
  async stopKernel(kernelId: string): Promise<void> {
    return (await this.backend()).stopKernel(kernelId);
  }
  async interruptKernel(kernelId: string): Promise<void> {
    return (await this.backend()).interruptKernel(kernelId);
  }
  async restartKernel(kernelId: string): Promise<void> {
    return (await this.backend()).restartKernel(kernelId);
  }
  async execute(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    return (await this.backend()).execute(kernelId, code, opts);
  }
  async *executeSequence(kernelId: string, codes: readonly string[], opts: SequenceOptions): AsyncGenerator<ExecuteResult, void, undefined> {
    yield* (await this.backend()).executeSequence(kernelId, codes, opts);
  }
  async kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo> {
    return (await this.backend()).kernelForNotebook(notebookPath, kernelName);
  }
  async kernelLanguage(kernelId: string): Promise<string> {
    return (await this.backend()).kernelLanguage(kernelId);
  }
  async evaluateSilently(kernelId: string, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
    return (await this.backend()).evaluateSilently(kernelId, expression, opts);
  }
  async inspect(kernelId: string, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
    return (await this.backend()).inspect(kernelId, code, cursorPos, detailLevel, opts);
  }
  async complete(kernelId: string, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
    return (await this.backend()).complete(kernelId, code, cursorPos, opts);
  }
  async hasKernel(kernelId: string): Promise<boolean> {
    // Before the server runs there are no kernels: do not start it just to answer no.
    if (!this.started) return false;
    return (await this.backend()).hasKernel(kernelId);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
    const started = await this.started?.catch(() => undefined);
    this.started = undefined;
    if (started) {
      await started.backend.dispose();
      await started.server.stop();
    }
  }
}
