// The "Jupyter MCP: <server>" notebook controller: runs cells of Jupyter notebooks in VS Code on the
// Jupyter server the extension is connected to, in the session kernel for the notebook's path —
// the same kernel JupyterServerBackend.kernelForNotebook gives agents — so an agent and the person
// share variables and see the same outputs. Outputs stream into the cell as they arrive;
// execution order comes from the kernel's execution_count; Interrupt interrupts the kernel.
import * as path from 'path';
import * as vscode from 'vscode';
import { KernelError, type ActiveKernelInfo, type ExecuteResult, type KernelBackend } from '../kernels/backend';
import type { Output } from '../notebooks/nbformat';
import type { Workspace } from '../notebooks/paths';
import type { Logger } from '../util/log';
import { outputToVscode } from './cellOutputs';

/** Where the controller gets its Jupyter backend (the KernelRouter: it swaps it on connect/disconnect). */
export interface JupyterSource {
  readonly jupyterBackend: KernelBackend;
  onDidChange(listener: () => void): { dispose(): void };
}

export const CONTROLLER_ID = 'jupyterMcp.jupyterServer';
const CONNECT_COMMAND = 'jupyterMcp.connectJupyter';
const CONNECT_LABEL = 'Connect to Jupyter Server…';
/** Longest a person's cell may run (setTimeout's limit is ~24.8 days): the person interrupts instead. */
const NO_TIMEOUT_MS = 2_000_000_000;

/** Workspace-relative path of a notebook (its absolute path when outside the root): the Jupyter session path. */
export function notebookRelativePath(workspace: Workspace, doc: vscode.NotebookDocument): string {
  const abs = doc.uri.fsPath;
  const rel = path.relative(workspace.root, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : abs;
}

/** The kernelspec name a notebook asks for (VS Code keeps the ipynb metadata under `metadata`, older versions under `custom.metadata`). */
export function notebookKernelSpec(doc: vscode.NotebookDocument): string | undefined {
  const md = doc.metadata as { metadata?: { kernelspec?: { name?: unknown } }; custom?: { metadata?: { kernelspec?: { name?: unknown } } } };
  const name = md?.metadata?.kernelspec?.name ?? md?.custom?.metadata?.kernelspec?.name;
  return typeof name === 'string' && name ? name : undefined;
}

/** The server a backend talks to, for the controller's label (no credentials). */
function serverName(backend: KernelBackend): string | undefined {
  if (backend.name !== 'jupyter') return undefined;
  const url = (backend as { url?: unknown }).url;
  if (typeof url !== 'string') return 'Jupyter server';
  try {
    const u = new URL(url);
    return u.host + (u.pathname !== '/' ? u.pathname.replace(/\/$/, '') : '');
  } catch {
    return url;
  }
}

/** The live controller: VS Code refuses a second controller with the same id. */
let live: McpNotebookController | undefined;

export class McpNotebookController implements vscode.Disposable {
  readonly controller: vscode.NotebookController;
  private readonly selected = new Set<vscode.NotebookDocument>();
  /** Notebook URI -> the Jupyter kernel id its cells last ran in. */
  private readonly kernelIds = new Map<string, string>();
  /** Notebook URI -> abort of the cell running now (Interrupt). */
  private readonly running = new Map<string, AbortController>();
  /** Notebook URI -> settles when the cells queued before are done (one cell at a time per notebook). */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sourceListener: { dispose(): void };
  private lastBackend: KernelBackend;
  private notifiedAt = 0;

  constructor(
    private readonly source: JupyterSource,
    private readonly workspace: Workspace,
    private readonly log: Logger,
  ) {
    // A runtime that failed half-way (e.g. its port was taken) may not have disposed its controller.
    live?.dispose();
    live = this;
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, 'jupyter-notebook', 'Jupyter MCP');
    this.controller.supportsExecutionOrder = true;
    this.controller.executeHandler = (cells, doc) => this.executeCells(cells, doc);
    this.controller.interruptHandler = (doc) => this.interrupt(doc).catch((e) => this.log.warn(`interrupt of ${doc.uri.fsPath} failed: ${(e as Error).message}`));
    this.lastBackend = source.jupyterBackend;
    this.updateLabel();
    this.disposables.push(
      this.controller,
      this.controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected) this.selected.add(notebook);
        else this.selected.delete(notebook);
      }),
      vscode.workspace.onDidCloseNotebookDocument((doc) => {
        this.selected.delete(doc);
        this.kernelIds.delete(doc.uri.toString());
      }),
    );
    this.sourceListener = source.onDidChange(() => {
      if (source.jupyterBackend === this.lastBackend) return;
      // Another server (or none): kernel ids of the old one mean nothing there.
      this.lastBackend = source.jupyterBackend;
      this.kernelIds.clear();
      this.updateLabel();
    });
  }

  get backend(): KernelBackend {
    return this.source.jupyterBackend;
  }

  get id(): string {
    return CONTROLLER_ID;
  }

  get label(): string {
    return this.controller.label;
  }

  private updateLabel(): void {
    const server = serverName(this.backend);
    this.controller.label = server ? `Jupyter MCP: ${server}` : 'Jupyter MCP (no Jupyter server)';
    this.controller.description = server ? 'kernel shared with AI agents' : 'run "Jupyter MCP: Connect to Jupyter Server…" first';
    this.controller.detail = server
      ? `Runs cells in this notebook's kernel on ${server}, the kernel agents use through Jupyter MCP.`
      : 'Not connected: run "Jupyter MCP: Connect to Jupyter Server…" from the command palette.';
  }

  isSelectedFor(doc: vscode.NotebookDocument): boolean {
    return this.selected.has(doc) && !doc.isClosed;
  }

  /** The Jupyter kernel id this notebook's cells last ran in (known once a cell ran or an agent asked). */
  kernelIdFor(doc: vscode.NotebookDocument): string | undefined {
    return this.kernelIds.get(doc.uri.toString());
  }

  /** The notebook's session kernel on the Jupyter server (started from its kernelspec if needed). */
  async kernelFor(doc: vscode.NotebookDocument, kernelName?: string): Promise<ActiveKernelInfo> {
    const k = await this.backend.kernelForNotebook(notebookRelativePath(this.workspace, doc), kernelName ?? notebookKernelSpec(doc));
    this.kernelIds.set(doc.uri.toString(), k.id);
    return k;
  }

  /** Interrupts the notebook's kernel: the running cell stops (its outputs so far stay). */
  async interrupt(doc: vscode.NotebookDocument): Promise<void> {
    const run = this.running.get(doc.uri.toString());
    if (run) {
      run.abort();
      return;
    }
    let id = this.kernelIdFor(doc);
    if (!id) {
      const rel = notebookRelativePath(this.workspace, doc);
      id = (await this.backend.listKernels()).active.find((k) => k.notebook === rel)?.id;
    }
    if (!id) throw new KernelError(`No kernel runs for ${notebookRelativePath(this.workspace, doc)} on the Jupyter server yet: there is nothing to interrupt.`, 'not-found');
    await this.backend.interruptKernel(id);
  }

  // ---- execution --------------------------------------------------------------------------------

  private executeCells(cells: vscode.NotebookCell[], doc: vscode.NotebookDocument): Promise<void> {
    const key = doc.uri.toString();
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.runCells(cells, doc));
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private async runCells(cells: vscode.NotebookCell[], doc: vscode.NotebookDocument): Promise<void> {
    // The notebook's kernel is looked up once per request (a Jupyter REST call): "Run All", or an
    // agent's execute_notebook, would otherwise pay it before every cell. A kernel that dies
    // meanwhile fails its cell, which stops the request; the next request looks it up again.
    const batch: { kernel?: ActiveKernelInfo } = {};
    for (const cell of cells) {
      if (doc.isClosed || cell.index < 0) return;
      const ok = await this.runCell(cell, doc, batch);
      // Like Jupyter: a failing cell stops the cells queued after it (VS Code clears their pending state).
      if (!ok) return;
    }
  }

  /** Runs one cell; false when it failed or was interrupted. */
  private async runCell(cell: vscode.NotebookCell, doc: vscode.NotebookDocument, batch: { kernel?: ActiveKernelInfo } = {}): Promise<boolean> {
    const exec = this.controller.createNotebookCellExecution(cell);
    const abort = new AbortController();
    const cancel = exec.token.onCancellationRequested(() => abort.abort());
    exec.start(Date.now());
    const shown = new LiveOutputs(exec);
    try {
      await exec.clearOutput();
      const code = cell.document.getText();
      if (code.trim() === '') {
        exec.end(undefined, Date.now());
        return true;
      }
      let kernel: ActiveKernelInfo;
      try {
        kernel = batch.kernel && this.backend === this.lastBackend && this.kernelIdFor(doc) === batch.kernel.id ? batch.kernel : (batch.kernel = await this.kernelFor(doc));
      } catch (e) {
        await this.fail(exec, e);
        return false;
      }
      if (abort.signal.aborted) {
        exec.end(false, Date.now());
        return false;
      }
      this.running.set(doc.uri.toString(), abort);
      let res: ExecuteResult;
      try {
        res = await this.backend.execute(kernel.id, code, { timeoutMs: NO_TIMEOUT_MS, signal: abort.signal, onOutput: (o, n) => shown.update(o, n) });
      } finally {
        if (this.running.get(doc.uri.toString()) === abort) this.running.delete(doc.uri.toString());
      }
      const outputs = [...res.outputs];
      if (res.status === 'aborted' && abort.signal.aborted) {
        outputs.push({ output_type: 'error', ename: 'KeyboardInterrupt', evalue: res.message ?? 'interrupted', traceback: [] });
      }
      await shown.finish(outputs);
      if (typeof res.execution_count === 'number') exec.executionOrder = res.execution_count;
      exec.end(res.status === 'ok', Date.now());
      return res.status === 'ok';
    } catch (e) {
      shown.stop();
      await this.fail(exec, e);
      return false;
    } finally {
      cancel.dispose();
    }
  }

  /** Ends a cell with the reason it could not run, and points at the fix when it is the connection. */
  private async fail(exec: vscode.NotebookCellExecution, e: unknown): Promise<void> {
    const notConnected = e instanceof KernelError && (e.code === 'not-configured' || e.code === 'offline');
    const message = notConnected
      ? 'Jupyter MCP is not connected to a Jupyter server: run "Jupyter MCP: Connect to Jupyter Server…" from the command palette, then run the cell again (or pick another kernel).'
      : e instanceof Error
        ? e.message
        : String(e);
    try {
      await exec.replaceOutput([outputToVscode({ output_type: 'error', ename: 'Jupyter MCP', evalue: message, traceback: [] })]);
    } finally {
      exec.end(false, Date.now());
    }
    if (notConnected || (e instanceof KernelError && (e.code === 'connection' || e.code === 'auth'))) this.notify(message);
  }

  private notify(message: string): void {
    // One notification per burst of cells, not one per cell.
    if (Date.now() - this.notifiedAt < 5000) return;
    this.notifiedAt = Date.now();
    void vscode.window.showErrorMessage(message, CONNECT_LABEL).then((pick) => {
      if (pick === CONNECT_LABEL) void vscode.commands.executeCommand(CONNECT_COMMAND);
    });
  }

  dispose(): void {
    if (live === this) live = undefined;
    for (const run of this.running.values()) run.abort();
    this.running.clear();
    this.sourceListener.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}

/**
 * Mirrors the outputs of a running execution into the cell, at most every 100 ms. The backend's
 * onOutput hands over the output it added or changed (stream chunks are merged into the last
 * output, display updates rewrite earlier ones) and how many outputs there are now.
 */
class LiveOutputs {
  private readonly shown: Output[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private writing: Thenable<void> = Promise.resolve();

  constructor(private readonly exec: vscode.NotebookCellExecution) {}

  update(changed: Output, count: number): void {
    if (this.stopped) return;
    if (!this.shown.includes(changed)) {
      // A new output; when the count did not grow by one, the kernel cleared the outputs first.
      this.shown.length = Math.min(this.shown.length, Math.max(0, count - 1));
      this.shown.push(changed);
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 100);
  }

  private flush(): void {
    if (this.stopped) return;
    const outputs = this.shown.map(outputToVscode);
    this.writing = this.writing.then(() => this.exec.replaceOutput(outputs)).then(undefined, () => undefined);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes the final outputs (exactly the result's). */
  async finish(outputs: Output[]): Promise<void> {
    this.stop();
    await this.writing;
    await this.exec.replaceOutput(outputs.map(outputToVscode));
  }
}
