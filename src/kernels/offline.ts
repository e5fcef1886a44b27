// Backends that cannot run code, with errors that say how to get one that can. Notebook tools keep
// working with them; only kernel tools fail, and their message names the fix.
import {
  KernelError,
  type ActiveKernelInfo,
  type CompleteReply,
  type ExecuteResult,
  type InspectReply,
  type KernelBackend,
  type KernelErrorCode,
  type KernelSpecInfo,
} from './backend';

/** A backend whose every kernel call fails with the same actionable KernelError. */
abstract class RefusingBackend implements KernelBackend {
  abstract readonly name: string;
  protected abstract readonly code: KernelErrorCode;
  protected abstract readonly reason: string;

  private refuse(): never {
    throw new KernelError(this.reason, this.code);
  }

  async listKernels(): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[] }> {
    this.refuse();
  }
  async startKernel(): Promise<ActiveKernelInfo> {
    this.refuse();
  }
  async stopKernel(): Promise<void> {
    this.refuse();
  }
  async interruptKernel(): Promise<void> {
    this.refuse();
  }
  async restartKernel(): Promise<void> {
    this.refuse();
  }
  async execute(): Promise<ExecuteResult> {
    this.refuse();
  }
  async kernelForNotebook(): Promise<ActiveKernelInfo> {
    this.refuse();
  }
  async kernelLanguage(): Promise<string> {
    this.refuse();
  }
  async evaluateSilently(): Promise<Record<string, unknown>> {
    this.refuse();
  }
  async inspect(): Promise<InspectReply> {
    this.refuse();
  }
  async complete(): Promise<CompleteReply> {
    this.refuse();
  }
  /** Owns no kernel: a router may still ask before dispatching. */
  async hasKernel(): Promise<boolean> {
    return false;
  }
  async dispose(): Promise<void> {}
}

/** --offline: notebooks only, by the user's choice. */
export class OfflineBackend extends RefusingBackend {
  readonly name = 'offline';
  protected readonly code = 'offline' as const;
  protected readonly reason =
    'Kernels are unavailable: the server runs in offline mode (--offline), so it does not connect to any Jupyter server. ' +
    'Notebook reading and editing still work. To run code, restart it without --offline, and pass --url URL --token TOKEN ' +
    'to use an existing Jupyter server (or let it start a local one if jupyter_server is installed).';
}

/** Why kernels are unavailable when no --url is given and no local jupyter_server can be started. */
export function notConfiguredMessage(detail?: string): string {
  return (
    'No Jupyter server is configured and none could be started locally' +
    (detail ? ` (${detail.replace(/\.$/, '')})` : '') +
    '. Notebook reading and editing still work. To run code, either pass --url URL --token TOKEN of a running Jupyter server ' +
    '(e.g. started with `jupyter lab` or `python3 -m jupyter_server --ServerApp.token=TOKEN`), or install jupyter-server and ' +
    'ipykernel (`pip install jupyter-server ipykernel`, or on Debian/Ubuntu `apt-get install jupyter-server python3-ipykernel`) ' +
    'and restart so a local server is started automatically.'
  );
}

/** No --url given and no local jupyter_server to start. */
export class NotConfiguredBackend extends RefusingBackend {
  readonly name = 'not-configured';
  protected readonly code = 'not-configured' as const;
  protected readonly reason: string;

  constructor(detail?: string) {
    super();
    this.reason = notConfiguredMessage(detail);
  }
}

/** In VS Code, before a Jupyter server is connected (the editor's own kernels still work). */
export class EditorNotConnectedBackend extends RefusingBackend {
  readonly name = 'not-connected';
  protected readonly code = 'not-configured' as const;
  protected readonly reason: string;

  constructor(detail?: string) {
    super();
    this.reason =
      'No Jupyter server is connected to Jupyter MCP' +
      (detail ? ` (${detail.replace(/\.$/, '')})` : '') +
      '. To run code: open the notebook in VS Code and pick a kernel (then call execute_notebook_cell without kernel_id), ' +
      'or ask the user to run the command "Jupyter MCP: Connect to Jupyter Server…" with the URL and token of a running Jupyter server.';
  }
}
