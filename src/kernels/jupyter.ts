// KernelBackend on a real Jupyter server (remote, or the local one localServer.ts starts), through
// @jupyterlab/services 7. Only the REST helpers and one KernelConnection per kernel are used: the
// managers (KernelManager, SessionManager...) poll on timers and would keep the process alive.
// @jupyterlab/services is require()d lazily (jupyterServices.ts) so that activating the extension
// stays cheap.
//
// This class is the one face of the backend; the work is done by its parts, which share one
// JupyterLink (the server's settings, errors and kernel websockets):
//   jupyterLink.ts       connection: settings, auth, bounded fetch, websocket hardening, errors
//   jupyterKernels.ts    kernelspecs; start / stop / interrupt / restart; a kernel's language
//   jupyterSessions.ts   notebook path <-> session (and its kernel); list_kernels
//   jupyterExecution.ts  execute requests, one turn per kernel; outputs; how a run ends
//   quiet.ts             kernel inspection without trace
import type {
  ActiveKernelInfo,
  CompleteReply,
  InspectReply,
  KernelError,
  KernelSpecInfo,
  QuietOptions,
  ExecuteOptions,
  ExecuteResult,
  KernelBackend,
  SequenceOptions,
} from './backend';
import { JupyterExecution } from './jupyterExecution';
import { JupyterKernels } from './jupyterKernels';
import { BACKEND, JupyterLink, type JupyterBackendOptions } from './jupyterLink';
import { JupyterSessions } from './jupyterSessions';
import * as quiet from './quiet';

// What other modules import from here (they predate the split).
export type { JupyterBackendOptions } from './jupyterLink';
export { describeFetchError, displayUrl, parseJupyterUrl, withoutCredentials } from './jupyterUrl';
// Benchmarks build the websocket class themselves.
export { makeWebSocketClass } from './wire';

export class JupyterServerBackend implements KernelBackend {
  readonly name = BACKEND;
  /** The server URL as shown in messages (never with the token). */
  readonly url: string;
  private readonly link: JupyterLink;
  private readonly kernels: JupyterKernels;
  private readonly sessions: JupyterSessions;
  private readonly execution: JupyterExecution;

  constructor(opts: JupyterBackendOptions) {
    this.link = new JupyterLink(opts);
    this.url = this.link.url;
    this.kernels = new JupyterKernels(this.link);
    this.sessions = new JupyterSessions(this.link, this.kernels);
    this.execution = new JupyterExecution(this.link);
  }

  /** Answers why the server cannot be used, or undefined when /api/status answers with our token. */
  probe(retry = true): Promise<KernelError | undefined> {
    return this.link.probe(retry);
  }

  // ---- kernels and sessions ---------------------------------------------------------------------

  listKernels(): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }> {
    return this.sessions.listKernels();
  }

  hasKernel(kernelId: string): Promise<boolean> {
    return this.kernels.hasKernel(kernelId);
  }

  startKernel(kernelName?: string): Promise<ActiveKernelInfo> {
    return this.kernels.startKernel(kernelName);
  }

  stopKernel(kernelId: string): Promise<void> {
    return this.kernels.stopKernel(kernelId);
  }

  interruptKernel(kernelId: string): Promise<void> {
    return this.kernels.interruptKernel(kernelId);
  }

  restartKernel(kernelId: string): Promise<void> {
    return this.kernels.restartKernel(kernelId);
  }

  kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo> {
    return this.sessions.kernelForNotebook(notebookPath, kernelName);
  }

  // ---- execution --------------------------------------------------------------------------------

  execute(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    return this.execution.execute(kernelId, code, opts);
  }

  executeSequence(kernelId: string, codes: readonly string[], opts: SequenceOptions): AsyncGenerator<ExecuteResult, void, undefined> {
    return this.execution.executeSequence(kernelId, codes, opts);
  }

  // ---- quiet requests: kernel inspection without trace (quiet.ts) --------------------------------

  private quietTarget(kernelId: string, opts: QuietOptions): quiet.QuietTarget {
    return {
      kernelId,
      connection: () => this.link.ready(kernelId, Math.max(1000, Math.min(this.link.connectTimeoutMs, opts.timeoutMs))),
      // Our executions (agents' and the "Jupyter MCP" controller's cells) hold the kernel.
      ownWork: () => (this.execution.isRunning(kernelId) ? 'running a cell sent through Jupyter MCP' : undefined),
      serverState: async () => (await this.link.model(kernelId)).execution_state,
      interrupt: () => this.interruptKernel(kernelId),
    };
  }

  kernelLanguage(kernelId: string): Promise<string> {
    return this.kernels.kernelLanguage(kernelId);
  }

  evaluateSilently(kernelId: string, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
    return quiet.evaluateSilently(this.quietTarget(kernelId, opts), expression, opts);
  }

  inspect(kernelId: string, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
    return quiet.inspect(this.quietTarget(kernelId, opts), code, cursorPos, detailLevel, opts);
  }

  complete(kernelId: string, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
    return quiet.complete(this.quietTarget(kernelId, opts), code, cursorPos, opts);
  }

  /** Closes the websockets and shuts down the kernels this backend started (3 s at most). */
  dispose(): Promise<void> {
    return this.link.dispose();
  }
}
