// The kernels of notebooks open in VS Code, as a KernelBackend (the router's "editor" source):
//   - notebooks for which the person picked our own controller ("Jupyter MCP: <server>", see
//     controller.ts): their kernel is the Jupyter server session for the notebook's path, the very
//     kernel the agent gets from JupyterServerBackend.kernelForNotebook, so both share state;
//   - notebooks whose kernel runs in VS Code's Jupyter extension (ms-toolsai.jupyter): reached
//     through its public API (`kernels.getKernel(uri)`, `kernel.executeCode(code, token)`), with the
//     stable id `editor:<workspace-relative path>`.
// Also the conversions between VS Code cell outputs (what the editor shows and the ipynb serializer
// saves) and nbformat outputs (what tools return), following VS Code's ipynb serializer.
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
import type { Output } from '../notebooks/nbformat';
import type { Workspace } from '../notebooks/paths';
import type { Logger } from '../util/log';
import { McpNotebookController, notebookRelativePath, type JupyterSource } from './controller';
import { timeoutOrAbort } from '../util/deadline';
import { completeInJupyterKernel, evaluateInJupyterKernel, inspectInJupyterKernel, type EditorQuietTarget } from './quietEditor';

export const JUPYTER_EXTENSION_ID = 'ms-toolsai.jupyter';
/** Prefix of the ids of kernels that run in VS Code's Jupyter extension. */
export const EDITOR_KERNEL_PREFIX = 'editor:';
const BACKEND = 'editor';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

/** The longest an agent's code waits for a kernel the person just picked to finish starting. */
const START_WAIT_MS = 60_000;
/** How often to try again while it starts (each try is refused at once: no code is sent). */
const START_POLL_MS = 500;

/** What the Jupyter extension's `executeCode` throws, and what it means for the agent. */
export function jupyterFailureKind(e: unknown): 'starting' | 'interrupted' | 'denied' | 'other' {
  const name = (e as { name?: unknown })?.name;
  const message = String((e as { message?: unknown })?.message ?? e ?? '');
  // Thrown before any code is sent, while the kernel's connection is not up yet (just picked, restarting).
  if (/Kernel connection not available/i.test(message)) return 'starting';
  // The extension's end of a request whose kernel was interrupted (interrupt_kernel, the person's Stop).
  if (/Canceled future for execute_request/i.test(message)) return 'interrupted';
  // The person answered Deny to its consent dialog, dismissed it, or revoked the access later.
  if (name === 'vscode.jupyter.apiAccessRevoked' || /Access to Jupyter Kernel has been revoked/i.test(message)) return 'denied';
  return 'other';
}

/** The Python exception a failed `executeCode` carries (the extension's error has ename/evalue/traceback), as an nbformat error output. */
function kernelErrorOf(e: unknown): Output | undefined {
  const err = e as { ename?: unknown; evalue?: unknown; traceback?: unknown } | undefined;
  if (!err || typeof err.ename !== 'string' || !err.ename) return undefined;
  return { output_type: 'error', ename: err.ename, evalue: String(err.evalue ?? ''), traceback: Array.isArray(err.traceback) ? err.traceback.map(String) : [] };
}

/** The answer for an agent the person did not (yet) let use the Jupyter extension's kernels. */
export function accessDeniedError(notebook: string): KernelError {
  return new KernelError(
    `VS Code's Jupyter extension did not let Jupyter MCP use the kernel of ${notebook}: its dialog "Do you want to grant Kernel access to the extension Jupyter MCP?" was denied or dismissed. ` +
      'Nothing ran. Ask the person to allow it: command "Jupyter: Manage Access To Jupyter Kernels", tick Jupyter MCP, press Enter; then call again. ' +
      'execute_notebook_cell runs cells through the notebook editor without that access.',
    'kernel',
  );
}

/**
 * Runs code through the Jupyter extension's `Kernel.executeCode` (no execution count, nothing
 * written into the notebook). On time-out or abort the run is cancelled (the extension interrupts
 * the kernel) and the outputs produced until then are returned. `notebook` names the kernel in
 * messages. A kernel still starting (just picked) is waited for, within the call's time-out.
 */
export async function executeInJupyterKernel(kernel: JupyterKernel, code: string, opts: ExecuteOptions, notebook = 'the notebook'): Promise<ExecuteResult> {
  const started = Date.now();
  if (opts.signal?.aborted) return { status: 'aborted', execution_count: null, outputs: [], message: 'Cancelled before the code started.' };
  const cts = new vscode.CancellationTokenSource();
  const outputs: Output[] = [];
  let frozen = false;
  const add = (out: { items: readonly { mime: string; data: Uint8Array }[]; metadata?: Record<string, unknown> }) => {
    if (frozen) return;
    const converted = outputFromVscode(out);
    const last = outputs[outputs.length - 1];
    let changed: Output;
    if (converted.output_type === 'stream' && last?.output_type === 'stream' && last.name === converted.name) {
      last.text = String(last.text) + String(converted.text);
      changed = last;
    } else {
      outputs.push(converted);
      changed = converted;
    }
    try {
      opts.onOutput?.(changed, outputs.length);
    } catch {
      // A failing progress callback must not break the execution.
    }
  };
  let failure: unknown;
  let sawOutput = false;
  const attempt = async () => {
    failure = undefined;
    try {
      for await (const out of kernel.executeCode(code, cts.token)) {
        sawOutput = true;
        add(out);
      }
    } catch (e) {
      failure = e;
    }
  };
  const { stop, dispose: disposeStop } = timeoutOrAbort(opts.timeoutMs, opts.signal);
  const startWaitEnd = started + Math.min(START_WAIT_MS, opts.timeoutMs);
  try {
    let consume = attempt();
    let outcome = await Promise.race([consume.then(() => 'done' as const), stop]);
    // Refused because the kernel is still starting: nothing was sent, so try again once it moves on.
    while (outcome === 'done' && !sawOutput && jupyterFailureKind(failure) === 'starting' && Date.now() < startWaitEnd) {
      const changed = new Promise<void>((r) => {
        const sub = kernel.onDidChangeStatus?.(() => {
          sub?.dispose();
          r();
        });
        setTimeout(() => {
          sub?.dispose();
          r();
        }, START_POLL_MS);
      });
      const waited = await Promise.race([changed.then(() => 'again' as const), stop]);
      if (waited !== 'again') {
        outcome = waited;
        break;
      }
      consume = attempt();
      outcome = await Promise.race([consume.then(() => 'done' as const), stop]);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const kind = jupyterFailureKind(failure);
    if (kind === 'starting' && !sawOutput && outcome === 'abort') {
      return { status: 'aborted', execution_count: null, outputs: [], message: `Cancelled by the client while the kernel of ${notebook} was still starting in VS Code; nothing ran.` };
    }
    if (kind === 'starting' && !sawOutput && (outcome === 'done' || outcome === 'timeout')) {
      throw new KernelError(`The kernel of ${notebook} is still starting in VS Code (waited ${seconds} s); nothing ran. Call again in a few seconds.`, 'kernel');
    }
    if (outcome === 'done') {
      if (failure && kind === 'denied') throw accessDeniedError(notebook);
      if (failure && kind === 'interrupted') {
        // Answer as an interrupted run on a Jupyter server does: the KeyboardInterrupt error, the outputs before it.
        if (!outputs.some((o) => o.output_type === 'error')) {
          outputs.push({ output_type: 'error', ename: 'KeyboardInterrupt', evalue: '', traceback: ['KeyboardInterrupt: the kernel was interrupted'] });
        }
        return {
          status: 'error',
          execution_count: null,
          outputs,
          message: `The kernel was interrupted after ${seconds} s (KeyboardInterrupt); its state up to that point is kept. Outputs produced before the interrupt are included.`,
        };
      }
      const raised = kernelErrorOf(failure);
      if (raised) {
        // The code raised: the extension ends executeCode by throwing the kernel's error (sometimes
        // before yielding its error output). Return it as the error output it is, as other kernels do.
        if (!outputs.some((o) => o.output_type === 'error' && o.ename === raised.ename && o.evalue === raised.evalue)) outputs.push(raised);
        return {
          status: 'error',
          execution_count: null,
          outputs,
          ...(raised.ename === 'KeyboardInterrupt' ? { message: `The kernel was interrupted after ${seconds} s (KeyboardInterrupt); its state up to that point is kept. Outputs produced before the interrupt are included.` } : {}),
        };
      }
      if (failure && !(failure instanceof vscode.CancellationError)) {
        throw new KernelError(`VS Code's Jupyter kernel of ${notebook} failed to run the code after ${seconds} s: ${(failure as Error).message ?? failure}`, 'kernel');
      }
      return { status: outputs.some((o) => o.output_type === 'error') ? 'error' : 'ok', execution_count: null, outputs };
    }
    // Keep what ran; the KeyboardInterrupt the cancellation causes is noise.
    frozen = true;
    cts.cancel();
    const stopped = await Promise.race([consume.then(() => true), sleep(5000).then(() => false)]);
    const after = stopped
      ? 'the run was cancelled (the Jupyter extension interrupts the kernel); the kernel state up to that point is kept.'
      : 'the kernel did not stop after the cancellation and may still be busy: call interrupt_kernel or restart_kernel.';
    return {
      status: outcome === 'timeout' ? 'timeout' : 'aborted',
      execution_count: null,
      outputs,
      message:
        outcome === 'timeout'
          ? `Execution timed out after ${seconds} s: ${after} Outputs produced before the time-out are included. Pass a larger timeout (in seconds) for long-running code.`
          : `Execution cancelled by the client after ${seconds} s: ${after}`,
    };
  } finally {
    disposeStop();
    cts.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Output conversion (mirrors VS Code's ipynb serializer, so what tools return is what VS Code saves)

export const STDOUT_MIMES = ['application/vnd.code.notebook.stdout', 'application/x.notebook.stream.stdout'];
export const STDERR_MIMES = ['application/vnd.code.notebook.stderr', 'application/x.notebook.stream.stderr'];
export const ERROR_MIME = 'application/vnd.code.notebook.error';
const TEXT_MIMES = ['text/plain', 'text/markdown', 'text/html', 'text/latex'];

const decoder = new TextDecoder();

/** One output item's data as nbformat stores it: text, base64 for images, parsed JSON. */
function mimeValue(mime: string, data: Uint8Array): unknown {
  if (!data) return '';
  try {
    if (mime.startsWith('text/') || TEXT_MIMES.includes(mime)) return decoder.decode(data);
    if (mime.startsWith('image/') && mime !== 'image/svg+xml') return Buffer.from(data).toString('base64');
    if (mime.toLowerCase().includes('json')) {
      const s = decoder.decode(data);
      return s.length ? JSON.parse(s) : s;
    }
    return decoder.decode(data);
  } catch {
    return '';
  }
}

interface VscodeLikeOutput {
  items: readonly { mime: string; data: Uint8Array }[];
  metadata?: Record<string, unknown>;
}

/** A VS Code cell output (or a Jupyter API output) as an nbformat output. */
export function outputFromVscode(out: VscodeLikeOutput): Output {
  const meta = (out.metadata ?? {}) as { outputType?: string; metadata?: Record<string, unknown>; executionCount?: unknown; originalError?: Output };
  const items = out.items ?? [];
  const isStream = items.length > 0 && items.every((i) => STDOUT_MIMES.includes(i.mime) || STDERR_MIMES.includes(i.mime));
  const errorItem = items.find((i) => i.mime === ERROR_MIME);
  if (meta.outputType === 'error' || (!meta.outputType && errorItem)) {
    const original = meta.originalError;
    let err: { name?: string; message?: string; stack?: string } = {};
    try {
      err = errorItem?.data ? JSON.parse(decoder.decode(errorItem.data)) : {};
    } catch {
      err = {};
    }
    const traceback = Array.isArray(original?.traceback) ? original.traceback.map(String) : (err.stack || err.message || '').split('\n');
    return {
      output_type: 'error',
      ename: String(original?.ename ?? err.name ?? ''),
      evalue: String(original?.evalue ?? err.message ?? ''),
      traceback,
    };
  }
  if (meta.outputType === 'stream' || (!meta.outputType && isStream)) {
    const name = items.length && STDERR_MIMES.includes(items[0].mime) ? 'stderr' : 'stdout';
    const text = items
      .filter((i) => STDOUT_MIMES.includes(i.mime) || STDERR_MIMES.includes(i.mime))
      .map((i) => decoder.decode(i.data))
      .join('');
    return { output_type: 'stream', name, text };
  }
  const data: Record<string, unknown> = {};
  for (const i of items) data[i.mime] = mimeValue(i.mime, i.data);
  const metadata = meta.metadata && typeof meta.metadata === 'object' ? { ...meta.metadata } : {};
  if (meta.outputType === 'execute_result') {
    return { output_type: 'execute_result', data, metadata, execution_count: typeof meta.executionCount === 'number' ? meta.executionCount : null };
  }
  return { output_type: 'display_data', data, metadata };
}

/** VS Code cell outputs as nbformat outputs (consecutive stream outputs of one name merged). */
export function outputsFromVscode(outs: readonly VscodeLikeOutput[]): Output[] {
  const result: Output[] = [];
  for (const o of outs) {
    const c = outputFromVscode(o);
    const last = result[result.length - 1];
    if (c.output_type === 'stream' && last?.output_type === 'stream' && last.name === c.name) last.text = String(last.text) + String(c.text);
    else result.push(c);
  }
  return result;
}

// Richest first, as VS Code's ipynb deserializer orders output items (the editor shows the first it can render).
const DISPLAY_ORDER = [
  'application/vnd.*',
  'application/vdom.*',
  'application/geo+json',
  'application/x-nteract-model-debug+json',
  'text/html',
  'application/javascript',
  'image/gif',
  'text/latex',
  'text/markdown',
  'image/png',
  'image/svg+xml',
  'image/jpeg',
  'application/json',
  'text/plain',
];

function displayRank(mime: string): number {
  const i = DISPLAY_ORDER.findIndex((m) => (m.endsWith('.*') ? mime.startsWith(m.slice(0, -1)) : m === mime));
  return i < 0 ? DISPLAY_ORDER.length : i;
}

function joinText(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join('') : typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function itemFromJupyter(mime: string, value: unknown): vscode.NotebookCellOutputItem {
  if (value === undefined || value === null || value === '') return vscode.NotebookCellOutputItem.text('', mime);
  if ((mime.startsWith('text/') || TEXT_MIMES.includes(mime)) && (Array.isArray(value) || typeof value === 'string')) {
    return vscode.NotebookCellOutputItem.text(joinText(value), mime);
  }
  if (mime.startsWith('image/') && mime !== 'image/svg+xml' && typeof value === 'string') {
    return new vscode.NotebookCellOutputItem(Buffer.from(value.replace(/\s+/g, ''), 'base64'), mime);
  }
  if (typeof value === 'object' && !Array.isArray(value)) return vscode.NotebookCellOutputItem.text(JSON.stringify(value), mime);
  return vscode.NotebookCellOutputItem.text(joinText(value), mime);
}

/** An nbformat output as a VS Code cell output, with the metadata VS Code's ipynb serializer keeps. */
export function outputToVscode(o: Output): vscode.NotebookCellOutput {
  switch (o.output_type) {
    case 'stream': {
      const text = joinText(o.text);
      const item = o.name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
      return new vscode.NotebookCellOutput([item], { outputType: 'stream' });
    }
    case 'error': {
      const traceback = Array.isArray(o.traceback) ? o.traceback.map(String) : [];
      const item = vscode.NotebookCellOutputItem.error({ name: String(o.ename ?? ''), message: String(o.evalue ?? ''), stack: traceback.join('\n') });
      return new vscode.NotebookCellOutput([item], { outputType: 'error', originalError: o });
    }
    case 'display_data':
    case 'execute_result': {
      const data = (o.data ?? {}) as Record<string, unknown>;
      const items = Object.entries(data)
        .map(([mime, v]) => itemFromJupyter(mime, v))
        .sort((a, b) => displayRank(a.mime) - displayRank(b.mime));
      const metadata: Record<string, unknown> = { outputType: o.output_type, metadata: o.metadata ? JSON.parse(JSON.stringify(o.metadata)) : {} };
      if (o.output_type === 'execute_result') metadata.executionCount = o.execution_count ?? null;
      return new vscode.NotebookCellOutput(items, metadata);
    }
    default:
      return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(JSON.stringify(o), 'application/json')], { outputType: String(o.output_type) });
  }
}
