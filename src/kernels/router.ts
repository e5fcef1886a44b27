// Composes kernel backends behind one KernelBackend: the editor's notebook kernels and a Jupyter
// server (remote or local). Calls naming a kernel id go to the backend that owns it; new kernels
// start on the Jupyter backend; a notebook's kernel comes from the editor when the notebook is
// open there with a kernel, else from Jupyter. No vscode import: the editor backend is injected.
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
import { busyError } from './quiet';

export interface NotebookKernelSource extends KernelBackend {
  /** Whether the editor serves this notebook (open, with a kernel selected). */
  servesNotebook(notebookPath: string): Promise<boolean>;
  /** `quiet`: a view refreshing itself, not an agent (no prompts may be shown). */
  listKernels(opts?: { quiet?: boolean }): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }>;
}

export class KernelRouter implements KernelBackend {
  readonly name = 'router';
  private listeners = new Set<() => void>();
  /** Which backend owns a kernel id, learned once: asking costs a REST call per execution. */
  private readonly owners = new Map<string, KernelBackend>();
  /** Executions of ours in flight, per kernel id (running or queued behind another). */
  private readonly running = new Map<string, number>();

  constructor(private jupyter: KernelBackend, private editor?: NotebookKernelSource) {}

  /** Swaps the Jupyter backend (connect / disconnect); the old one is disposed. */
  async setJupyter(next: KernelBackend): Promise<void> {
    const old = this.jupyter;
    this.jupyter = next;
    this.owners.clear();
    this.changed();
    await old.dispose().catch(() => undefined);
  }

  get jupyterBackend(): KernelBackend {
    return this.jupyter;
  }

  /** Notified when kernels may have changed (start/stop/restart through this router). */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private backends(): KernelBackend[] {
    return this.editor ? [this.editor, this.jupyter] : [this.jupyter];
  }

  private async owner(kernelId: string): Promise<KernelBackend> {
    const known = this.owners.get(kernelId);
    if (known && this.backends().includes(known)) return known;
    for (const b of this.backends()) {
      if (await b.hasKernel(kernelId).catch(() => false)) {
        this.owners.set(kernelId, b);
        return b;
      }
    }
    // Let the Jupyter backend produce its own precise error (not found, offline, not connected).
    return this.jupyter;
  }

  /** `quiet`: for views that refresh themselves (the status bar), never for agents. */
  async listKernels(opts: { quiet?: boolean } = {}): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }> {
    const results = await Promise.allSettled([...(this.editor ? [this.editor.listKernels(opts)] : []), this.jupyter.listKernels()]);
    const available: KernelSpecInfo[] = [];
    const active: ActiveKernelInfo[] = [];
    let default_kernel: string | undefined;
    let firstError: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        available.push(...r.value.available);
        active.push(...r.value.active);
        default_kernel ??= r.value.default_kernel;
      } else firstError ??= r.reason;
    }
    // With no editor kernels, a Jupyter error is the whole answer (e.g. "offline", "403").
    if (firstError && available.length === 0 && active.length === 0) throw firstError;
    // A kernel of our own notebook controller is both an editor kernel and a Jupyter one: list it
    // once, as the editor's (listed first).
    const seen = new Set<string>();
    const listed = active.filter((k) => !seen.has(k.id) && !!seen.add(k.id));
    // A kernel running code we sent is busy, whatever the server's last word: its status can lag
    // the request by a round trip, and views refresh when the execution starts.
    const withOurs = listed.map((k) => (this.running.has(k.id) && k.state !== 'dead' && k.state !== 'busy' ? { ...k, state: 'busy' } : k));
    return { available, active: withOurs, default_kernel };
  }

  async startKernel(kernelName?: string): Promise<ActiveKernelInfo> {
    const k = await this.jupyter.startKernel(kernelName);
    this.changed();
    return k;
  }
  async stopKernel(id: string): Promise<void> {
    await (await this.owner(id)).stopKernel(id);
    this.owners.delete(id);
    this.changed();
  }
  async interruptKernel(id: string): Promise<void> {
    await (await this.owner(id)).interruptKernel(id);
  }
  async restartKernel(id: string): Promise<void> {
    await (await this.owner(id)).restartKernel(id);
    this.changed();
  }
  async execute(id: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    const owner = await this.owner(id);
    // Before and after: views (status bar) show the kernel busy while the code runs.
    this.running.set(id, (this.running.get(id) ?? 0) + 1);
    this.changed();
    try {
      return await owner.execute(id, code, opts);
    } finally {
      const n = (this.running.get(id) ?? 1) - 1;
      if (n > 0) this.running.set(id, n);
      else this.running.delete(id);
      this.changed();
    }
  }
  /** Pipelined where the owner can (Jupyter); one cell after the other otherwise (editor kernels). */
  async *executeSequence(id: string, codes: readonly string[], opts: SequenceOptions): AsyncGenerator<ExecuteResult, void, undefined> {
    const owner = await this.owner(id);
    this.running.set(id, (this.running.get(id) ?? 0) + 1);
    this.changed();
    try {
      if (owner.executeSequence) {
        yield* owner.executeSequence(id, codes, opts);
        return;
      }
      for (const [i, code] of codes.entries()) {
        const res = await owner.execute(id, code, { timeoutMs: opts.timeoutMs, signal: opts.signal, onOutput: (o, n) => opts.onOutput?.(i, o, n) });
        yield res;
        if (res.status !== 'ok') return;
      }
    } finally {
      const n = (this.running.get(id) ?? 1) - 1;
      if (n > 0) this.running.set(id, n);
      else this.running.delete(id);
      this.changed();
    }
  }
  async kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo> {
    if (this.editor && (await this.editor.servesNotebook(notebookPath).catch(() => false))) {
      return this.editor.kernelForNotebook(notebookPath, kernelName);
    }
    const k = await this.jupyter.kernelForNotebook(notebookPath, kernelName);
    this.changed();
    return k;
  }
  // ---- quiet requests (kernel inspection): to the owner, if it can -------------------------------

  /** The owner of the kernel, for a quiet request: refused while code we sent runs there. */
  private async quietOwner(id: string, busyCheck = true): Promise<KernelBackend> {
    // Our own executions through this router (agents' runs) hold the kernel: answer at once.
    if (busyCheck && this.running.has(id)) throw busyError(id, 'running an agent\'s code');
    return this.owner(id);
  }
  private unsupported(id: string, owner: KernelBackend): KernelError {
    return new KernelError(`Kernel ${id} (${owner.name} backend) cannot be inspected without running code: use execute_cell.`, 'unsupported');
  }
  async kernelLanguage(id: string): Promise<string> {
    const owner = await this.quietOwner(id, false);
    if (!owner.kernelLanguage) throw this.unsupported(id, owner);
    return owner.kernelLanguage(id);
  }
  async evaluateSilently(id: string, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
    const owner = await this.quietOwner(id);
    if (!owner.evaluateSilently) throw this.unsupported(id, owner);
    return owner.evaluateSilently(id, expression, opts);
  }
  async inspect(id: string, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
    const owner = await this.quietOwner(id);
    if (!owner.inspect) throw this.unsupported(id, owner);
    return owner.inspect(id, code, cursorPos, detailLevel, opts);
  }
  async complete(id: string, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
    const owner = await this.quietOwner(id);
    if (!owner.complete) throw this.unsupported(id, owner);
    return owner.complete(id, code, cursorPos, opts);
  }
  async hasKernel(id: string): Promise<boolean> {
    for (const b of this.backends()) if (await b.hasKernel(id).catch(() => false)) return true;
    return false;
  }
  async dispose(): Promise<void> {
    await Promise.all(this.backends().map((b) => b.dispose().catch(() => undefined)));
  }
}
