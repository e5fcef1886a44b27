// The kernels of notebooks open in VS Code, as a KernelBackend (the router's "editor" source):
//   - notebooks for which the person picked our own controller ("Jupyter MCP: <server>", see
//     controller.ts): their kernel is the Jupyter server session for the notebook's path, the very
//     kernel the agent gets from JupyterServerBackend.kernelForNotebook, so both share state;
//   - notebooks whose kernel runs in VS Code's Jupyter extension (ms-toolsai.jupyter): reached
//     through its public API (`kernels.getKernel(uri)`, `kernel.executeCode(code, token)`), with the
//     stable id `editor:<workspace-relative path>`.
// Running code in the Jupyter extension's kernels: jupyterExecute.ts; output conversions: cellOutputs.ts.
import * as path from 'path';
import * as vscode from 'vscode';
import type { Jupyter, Kernel as JupyterKernel, KernelStatus } from '@vscode/jupyter-extension';
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
} from '../kernels/backend';
import type { NotebookKernelSource } from '../kernels/router';
import type { Workspace } from '../notebooks/paths';
import type { Logger } from '../util/log';
import { McpNotebookController, notebookRelativePath, type JupyterSource } from './controller';
import { accessDeniedError, executeInJupyterKernel, jupyterFailureKind } from './jupyterExecute';
import { completeInJupyterKernel, evaluateInJupyterKernel, inspectInJupyterKernel, type EditorQuietTarget } from './quietEditor';

export const JUPYTER_EXTENSION_ID = 'ms-toolsai.jupyter';
/** Prefix of the ids of kernels that run in VS Code's Jupyter extension. */
export const EDITOR_KERNEL_PREFIX = 'editor:';
const BACKEND = 'editor';

export class EditorKernels implements NotebookKernelSource, vscode.Disposable {
  /** Whether an agent has used the Jupyter extension's kernels (see listKernels). */
  private jupyterAsked = false;
  readonly name = BACKEND;
  private controllerInstance: McpNotebookController | undefined;
  private readonly jupyterExtensionId: string;

  constructor(
    private readonly workspace: Workspace,
    private readonly log: Logger,
    opts: { jupyterExtensionId?: string } = {},
  ) {
    this.jupyterExtensionId = opts.jupyterExtensionId ?? JUPYTER_EXTENSION_ID;
  }

  /**
   * Registers the "Jupyter MCP: <server>" notebook controller, backed by the Jupyter backend of
   * `source` (the KernelRouter: its backend changes on connect / disconnect). Call once.
   */
  attachJupyter(source: JupyterSource): McpNotebookController {
    this.controllerInstance?.dispose();
    this.controllerInstance = new McpNotebookController(source, this.workspace, this.log);
    return this.controllerInstance;
  }

  get controller(): McpNotebookController | undefined {
    return this.controllerInstance;
  }

  // ---- notebooks -------------------------------------------------------------------------------

  /** Workspace-relative path of a notebook document (its absolute path when outside the root). */
  relativePath(doc: vscode.NotebookDocument): string {
    return notebookRelativePath(this.workspace, doc);
  }

  /** The open Jupyter notebook at this workspace-relative (or absolute) path, if any. */
  openNotebook(notebookPath: string): vscode.NotebookDocument | undefined {
    const abs = path.resolve(this.workspace.root, notebookPath.startsWith('file://') ? vscode.Uri.parse(notebookPath).fsPath : notebookPath);
    return vscode.workspace.notebookDocuments.find(
      (d) => d.uri.scheme === 'file' && d.notebookType === 'jupyter-notebook' && samePath(d.uri.fsPath, abs) && !d.isClosed,
    );
  }

  /** Whether our own controller is the kernel the person picked for this notebook. */
  usesOurController(doc: vscode.NotebookDocument): boolean {
    return !!this.controllerInstance?.isSelectedFor(doc);
  }

  /**
   * The Jupyter extension's API. With `activate` false it is only returned when the extension is
   * already active (no kernel can run in it otherwise), so polling never wakes it up.
   */
  async jupyterApi(activate: boolean): Promise<Jupyter | undefined> {
    const ext = vscode.extensions.getExtension<Jupyter>(this.jupyterExtensionId);
    if (!ext) return undefined;
    if (!ext.isActive) {
      if (!activate) return undefined;
      await ext.activate();
    }
    return ext.exports;
  }

  /** The kernel the Jupyter extension runs for this notebook (only ones the person started). */
  async jupyterKernel(doc: vscode.NotebookDocument, activate: boolean): Promise<JupyterKernel | undefined> {
    this.jupyterAsked = true;
    const api = await this.jupyterApi(activate);
    if (!api) return undefined;
    try {
      return (await api.kernels.getKernel(doc.uri)) ?? undefined;
    } catch (e) {
      throw new KernelError(
        `VS Code's Jupyter extension refused access to the kernel of ${this.relativePath(doc)}: ${(e as Error).message ?? e}. ` +
          'Trust the workspace and allow Jupyter MCP to use Jupyter kernels when VS Code asks (command "Jupyter: Manage Access To Jupyter Kernels").',
        'kernel',
      );
    }
  }

  /** Whether the notebook has a kernel that runs cells without asking the person anything. */
  async hasRunnableKernel(doc: vscode.NotebookDocument): Promise<boolean> {
    if (this.usesOurController(doc)) return true;
    const k = await this.jupyterKernel(doc, false).catch(() => undefined);
    return !!k && k.status !== 'dead' && k.status !== 'terminating';
  }

  /** The kernel id tools get for an open notebook (the Jupyter kernel id for our controller). */
  kernelIdFor(doc: vscode.NotebookDocument): string {
    return (this.usesOurController(doc) && this.controllerInstance?.kernelIdFor(doc)) || EDITOR_KERNEL_PREFIX + this.relativePath(doc);
  }

  // ---- NotebookKernelSource ------------------------------------------------------------------------

  async servesNotebook(notebookPath: string): Promise<boolean> {
    const doc = this.openNotebook(notebookPath);
    return !!doc && (await this.hasRunnableKernel(doc));
  }

  /**
   * `quiet` (status bar polling): the Jupyter extension is asked only once an agent has used its
   * kernels, since a first access can show its consent prompt with nobody having asked for it.
   */
  async listKernels(opts: { quiet?: boolean } = {}): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[] }> {
    if (!opts.quiet) this.jupyterAsked = true;
    const docs = vscode.workspace.notebookDocuments.filter((d) => d.notebookType === 'jupyter-notebook' && d.uri.scheme === 'file' && !d.isClosed);
    const active: ActiveKernelInfo[] = [];
    const ours = docs.filter((d) => this.usesOurController(d));
    if (ours.length && this.controllerInstance) {
      // Their kernels are Jupyter sessions: take ids and states from the server's own list.
      const listed = await this.controllerInstance.backend.listKernels().catch(() => undefined);
      for (const doc of ours) {
        const rel = this.relativePath(doc);
        const known = this.controllerInstance.kernelIdFor(doc);
        const k = listed?.active.find((a) => (known ? a.id === known : a.notebook === rel)) ?? listed?.active.find((a) => a.notebook === rel);
        if (k) active.push({ ...k, notebook: rel, backend: BACKEND });
      }
    }
    for (const doc of docs) {
      if (ours.includes(doc) || !this.jupyterAsked) continue;
      const k = await this.jupyterKernel(doc, false).catch(() => undefined);
      if (!k) continue;
      active.push({ id: EDITOR_KERNEL_PREFIX + this.relativePath(doc), name: k.language || 'unknown', state: kernelState(k.status), notebook: this.relativePath(doc), backend: BACKEND });
    }
    return { available: [], active };
  }

  async kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo> {
    const doc = this.openNotebook(notebookPath);
    if (!doc) throw this.notOpen(notebookPath);
    const rel = this.relativePath(doc);
    if (this.usesOurController(doc) && this.controllerInstance) {
      const k = await this.controllerInstance.kernelFor(doc, kernelName);
      return { ...k, notebook: rel, backend: BACKEND };
    }
    const k = await this.jupyterKernel(doc, true);
    if (!k) throw await this.noKernel(doc);
    return { id: EDITOR_KERNEL_PREFIX + rel, name: k.language || 'unknown', state: kernelState(k.status), notebook: rel, backend: BACKEND };
  }

  async hasKernel(kernelId: string): Promise<boolean> {
    return kernelId.startsWith(EDITOR_KERNEL_PREFIX);
  }

  async startKernel(): Promise<ActiveKernelInfo> {
    throw new KernelError(
      'Kernels of notebooks open in VS Code are started by VS Code (pick a kernel in the notebook and run a cell). start_kernel starts a kernel on the connected Jupyter server.',
      'kernel',
    );
  }

  /** Resolves an `editor:<path>` id to its open notebook. */
  private docFor(kernelId: string): vscode.NotebookDocument {
    const rel = kernelId.slice(EDITOR_KERNEL_PREFIX.length);
    const doc = this.openNotebook(rel);
    if (!doc) {
      throw new KernelError(
        `Kernel ${kernelId} belongs to ${rel}, which is not open in VS Code any more. Open the notebook and run a cell, or call execute_notebook_cell to use its Jupyter kernel; list_kernels shows the kernels there are.`,
        'not-found',
      );
    }
    return doc;
  }

  private notOpen(notebookPath: string): KernelError {
    return new KernelError(`${notebookPath} is not open in VS Code, so it has no editor kernel. Call execute_notebook_cell: it uses the notebook's Jupyter kernel.`, 'not-found');
  }

  /** Why an open notebook has no kernel we can use: no Jupyter extension, or nothing started. */
  private async noKernel(doc: vscode.NotebookDocument): Promise<KernelError> {
    const rel = this.relativePath(doc);
    const label = this.controllerInstance?.label ?? 'Jupyter MCP';
    if (!vscode.extensions.getExtension(this.jupyterExtensionId)) {
      return new KernelError(
        `The Jupyter extension (${this.jupyterExtensionId}) is not installed, so VS Code has no kernel for ${rel} that Jupyter MCP can use. ` +
          `Pick the "${label}" kernel in the notebook's kernel picker (after "Jupyter MCP: Connect to Jupyter Server…"), or call execute_notebook_cell, which uses the connected Jupyter server.`,
        'not-found',
      );
    }
    if (this.controllerInstance?.backend.name !== 'jupyter') {
      // Not connected: our controller's kernel would not run either, so say how to get one first.
      return new KernelError(
        `No kernel is running for ${rel} in VS Code: run a cell or pick a kernel there. To share a kernel with the person, they connect Jupyter MCP to a Jupyter server ` +
          '(command "Jupyter MCP: Connect to Jupyter Server…") and pick the "Jupyter MCP" kernel; execute_notebook_cell then runs in it.',
        'not-found',
      );
    }
    return new KernelError(
      `No kernel is running for ${rel} in VS Code: run a cell or pick a kernel there (e.g. "${label}"), or call execute_notebook_cell, which uses the notebook's kernel on the connected Jupyter server.`,
      'not-found',
    );
  }

  async execute(kernelId: string, code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    const doc = this.docFor(kernelId);
    if (this.usesOurController(doc) && this.controllerInstance) {
      const k = await this.controllerInstance.kernelFor(doc);
      return this.controllerInstance.backend.execute(k.id, code, opts);
    }
    const kernel = await this.jupyterKernel(doc, true);
    if (!kernel) throw await this.noKernel(doc);
    return executeInJupyterKernel(kernel, code, opts, this.relativePath(doc));
  }

  async interruptKernel(kernelId: string): Promise<void> {
    const doc = this.docFor(kernelId);
    if (this.usesOurController(doc) && this.controllerInstance) {
      await this.controllerInstance.interrupt(doc);
      return;
    }
    if (!(await this.jupyterKernel(doc, true))) throw await this.noKernel(doc);
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes('jupyter.interruptkernel')) {
      await vscode.commands.executeCommand('jupyter.interruptkernel', { notebookEditor: { notebookUri: doc.uri } });
    } else if (vscode.window.visibleNotebookEditors.some((e) => e.notebook === doc)) {
      // VS Code's own "Interrupt" (falls back to the active editor when the notebook has none).
      await vscode.commands.executeCommand('notebook.interruptExecution', doc.uri);
    } else {
      throw new KernelError(`Cannot interrupt the kernel of ${this.relativePath(doc)}: show the notebook in an editor and use its Interrupt button.`, 'kernel');
    }
  }

  async restartKernel(kernelId: string): Promise<void> {
    const doc = this.docFor(kernelId);
    if (this.usesOurController(doc) && this.controllerInstance) {
      const k = await this.controllerInstance.kernelFor(doc);
      await this.controllerInstance.backend.restartKernel(k.id);
      return;
    }
    if (!(await this.jupyterKernel(doc, true))) throw await this.noKernel(doc);
    const commands = await vscode.commands.getCommands(true);
    if (!commands.includes('jupyter.restartkernel')) {
      throw new KernelError(`VS Code offers no command to restart the kernel of ${this.relativePath(doc)}: restart it from the notebook's toolbar.`, 'kernel');
    }
    // The Jupyter extension may ask the person first ("jupyter.askForKernelRestart"); false = declined or failed.
    const ok = await vscode.commands.executeCommand<boolean | undefined>('jupyter.restartkernel', { notebookEditor: { notebookUri: doc.uri } });
    if (ok === false) {
      throw new KernelError(`The kernel of ${this.relativePath(doc)} was not restarted: the restart was declined in VS Code or failed. Its state is unchanged.`, 'kernel');
    }
  }

  async stopKernel(kernelId: string): Promise<void> {
    const doc = this.docFor(kernelId);
    if (this.usesOurController(doc) && this.controllerInstance) {
      const k = await this.controllerInstance.kernelFor(doc);
      await this.controllerInstance.backend.stopKernel(k.id);
      return;
    }
    throw new KernelError(
      `Jupyter MCP cannot shut down the kernel VS Code runs for ${this.relativePath(doc)}: the person closes the notebook or picks another kernel. ` +
        'Call restart_kernel to clear its state instead.',
      'kernel',
    );
  }

  // ---- quiet requests (kernel inspection): our controller's Jupyter kernel, or quietEditor.ts ----

  /**
   * Where a quiet request goes: the Jupyter backend of our controller (its kernel if one runs: a
   * look never starts one), or the Jupyter extension's kernel (Python only: quietEditor.ts).
   */
  private async quietRoute(kernelId: string): Promise<{ backend: KernelBackend; id: string } | { target: EditorQuietTarget; language: string }> {
    const doc = this.docFor(kernelId);
    const rel = this.relativePath(doc);
    if (this.usesOurController(doc) && this.controllerInstance) {
      const backend = this.controllerInstance.backend;
      const id = this.controllerInstance.kernelIdFor(doc) ?? (await backend.listKernels()).active.find((k) => k.notebook === rel)?.id;
      if (!id) throw new KernelError(`No kernel runs for ${rel} yet, so there is nothing in it to inspect: run a cell first.`, 'not-found');
      return { backend, id };
    }
    const kernel = await this.jupyterKernel(doc, true);
    if (!kernel) throw await this.noKernel(doc);
    const explain = (e: unknown): KernelError | undefined => {
      const kind = jupyterFailureKind(e);
      if (kind === 'denied') return accessDeniedError(rel);
      if (kind === 'starting') return new KernelError(`The kernel of ${rel} is still starting in VS Code; nothing ran. Call again in a few seconds.`, 'kernel');
      if (kind === 'interrupted') return new KernelError(`The inspection of ${rel}'s kernel was interrupted (someone interrupted the kernel); nothing changed. Call again.`, 'kernel');
      return undefined;
    };
    return { target: { kernel, kernelId, explain }, language: kernel.language || 'unknown' };
  }

  /** The Jupyter extension reaches other languages' kernels only by running code (in their language). */
  private pythonOnly(kernelId: string, language?: string): KernelError {
    return new KernelError(
      language
        ? `Kernel ${kernelId} runs ${language} in VS Code's Jupyter extension, which lets other extensions only run code there: it cannot be inspected without running code.`
        : `Kernel ${kernelId} cannot be inspected without running code.`,
      'unsupported',
    );
  }

  async kernelLanguage(kernelId: string): Promise<string> {
    const r = await this.quietRoute(kernelId);
    if ('target' in r) return r.language.toLowerCase();
    if (!r.backend.kernelLanguage) return 'unknown';
    return r.backend.kernelLanguage(r.id);
  }

  async evaluateSilently(kernelId: string, expression: string, opts: QuietOptions): Promise<Record<string, unknown>> {
    const r = await this.quietRoute(kernelId);
    if (!('target' in r)) {
      if (!r.backend.evaluateSilently) throw this.pythonOnly(kernelId);
      return r.backend.evaluateSilently(r.id, expression, opts);
    }
    if (r.language.toLowerCase() !== 'python') throw this.pythonOnly(kernelId, r.language);
    return evaluateInJupyterKernel(r.target, expression, opts);
  }

  async inspect(kernelId: string, code: string, cursorPos: number, detailLevel: 0 | 1, opts: QuietOptions): Promise<InspectReply> {
    const r = await this.quietRoute(kernelId);
    if (!('target' in r)) {
      if (!r.backend.inspect) throw this.pythonOnly(kernelId);
      return r.backend.inspect(r.id, code, cursorPos, detailLevel, opts);
    }
    if (r.language.toLowerCase() !== 'python') throw this.pythonOnly(kernelId, r.language);
    return inspectInJupyterKernel(r.target, code, cursorPos, detailLevel, opts);
  }

  async complete(kernelId: string, code: string, cursorPos: number, opts: QuietOptions): Promise<CompleteReply> {
    const r = await this.quietRoute(kernelId);
    if (!('target' in r)) {
      if (!r.backend.complete) throw this.pythonOnly(kernelId);
      return r.backend.complete(r.id, code, cursorPos, opts);
    }
    if (r.language.toLowerCase() !== 'python') throw this.pythonOnly(kernelId, r.language);
    return completeInJupyterKernel(r.target, code, cursorPos, opts);
  }

  async dispose(): Promise<void> {
    this.controllerInstance?.dispose();
    this.controllerInstance = undefined;
  }
}

function samePath(a: string, b: string): boolean {
  return path.normalize(a) === path.normalize(b);
}

function kernelState(s: KernelStatus | undefined): string {
  switch (s) {
    case 'idle':
    case 'busy':
    case 'starting':
    case 'restarting':
    case 'dead':
      return s;
    case 'autorestarting':
      return 'restarting';
    case 'terminating':
      return 'dead';
    default:
      return 'unknown';
  }
}
