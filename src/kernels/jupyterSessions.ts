// Notebooks and their kernels on a Jupyter server: one session per notebook path (found or
// started), the mapping between workspace paths and the server's session paths (--jupyter-root),
// and the note that says where a kernel runs when the server does not hold the notebook.
import { stat } from 'fs/promises';
import * as nodePath from 'path';
import { basename } from 'path';
import type { KernelMessage } from '@jupyterlab/services';
import { KeyedLock } from '../util/keyedLock';
import { KernelError, type ActiveKernelInfo, type KernelSpecInfo } from './backend';
import { toInfo, type JupyterKernels } from './jupyterKernels';
import { withTimeout, type JupyterLink } from './jupyterLink';
import { services } from './jupyterServices';
import { wireFetch } from './wire';

export class JupyterSessions {
  /** Serializes kernelForNotebook per notebook so two calls never start two sessions. */
  private readonly notebookLocks = new KeyedLock();
  /** Kernels whose location was checked (the note about it is given once per kernel). */
  private readonly located = new Set<string>();

  constructor(
    private readonly link: JupyterLink,
    private readonly kernels: JupyterKernels,
  ) {}

  /** Running kernels with the notebook of their session, if any (hence here, beside sessions). */
  async listKernels(): Promise<{ available: KernelSpecInfo[]; active: ActiveKernelInfo[]; default_kernel?: string }> {
    const { KernelAPI, SessionAPI } = services();
    const [specs, kernels, sessions] = await Promise.all([
      this.kernels.specs(),
      this.link.rest('list kernels', () => KernelAPI.listRunning(this.link.settings)),
      this.link.rest('list sessions', () => SessionAPI.listRunning(this.link.settings)),
    ]);
    const paths = new Map<string, string>();
    for (const s of sessions) if (s.kernel) paths.set(s.kernel.id, this.workspacePath(s.path));
    return {
      available: specs.available,
      active: kernels.map((k) => toInfo(k, paths.get(k.id))),
      ...(specs.default ? { default_kernel: specs.default } : {}),
    };
  }

  async kernelForNotebook(notebookPath: string, kernelName?: string): Promise<ActiveKernelInfo> {
    const sessionPath = this.sessionPath(notebookPath);
    const info = await this.notebookLocks.run(notebookPath, () => this.sessionKernel(sessionPath, kernelName, notebookPath));
    if (this.link.root && !this.located.has(info.id)) {
      this.located.add(info.id);
      const note = await this.locationNote(notebookPath, sessionPath, info.id).catch(() => undefined);
      if (note) return { ...info, note };
    }
    return info;
  }

  /** Where the Jupyter server finds a workspace notebook: its path under --jupyter-root, if given. */
  private sessionPath(relativePath: string): string {
    const { root, jupyterRoot } = this.link;
    if (!root || !jupyterRoot) return relativePath;
    const inServer = nodePath.relative(jupyterRoot, nodePath.resolve(root, relativePath));
    // Outside the server's root the server cannot open it: keep the workspace path (and the note).
    if (inServer.startsWith('..') || nodePath.isAbsolute(inServer)) return relativePath;
    return inServer.split(nodePath.sep).join('/');
  }

  /** The workspace path of a session path (the inverse of sessionPath), for list_kernels. */
  private workspacePath(sessionPath: string): string {
    const { root, jupyterRoot } = this.link;
    if (!root || !jupyterRoot) return sessionPath;
    const rel = nodePath.relative(root, nodePath.resolve(jupyterRoot, sessionPath));
    return rel.startsWith('..') || nodePath.isAbsolute(rel) ? sessionPath : rel.split(nodePath.sep).join('/');
  }

  /**
   * A sentence for the model when the Jupyter server does not hold the notebook at its session
   * path (another machine, a container, another root): the kernel then runs in another folder, and
   * open("data.csv") beside the notebook fails there with nothing saying why.
   */
  private async locationNote(relativePath: string, sessionPath: string, kernelId: string): Promise<string | undefined> {
    let size: number;
    try {
      size = (await stat(nodePath.resolve(this.link.root!, relativePath))).size;
    } catch {
      return undefined;
    }
    const encoded = sessionPath.split('/').map(encodeURIComponent).join('/');
    const res = await wireFetch(`${this.link.baseUrl}api/contents/${encoded}?content=0`, {
      headers: this.link.token ? { Authorization: `token ${this.link.token}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    if (res.ok) {
      // The same size is taken as the same file (a shared filesystem); another size, another file.
      const model = (await res.json()) as { size?: unknown };
      if (typeof model.size !== 'number' || model.size === size) return undefined;
    } else if (res.status !== 404) {
      return undefined;
    }
    const cwd = await this.kernelCwd(kernelId);
    return (
      `The kernel runs on the Jupyter server at ${this.link.url}${cwd ? `, in ${cwd}` : ''}, which does not hold ${relativePath} at ${sessionPath}: ` +
      `relative paths in cells (open("data.csv")) resolve there, not beside the notebook in ${nodePath.dirname(nodePath.resolve(this.link.root!, relativePath))}. ` +
      'Use absolute paths the server can reach or copy the data there; if the server shares this filesystem, start Jupyter MCP with ' +
      '--jupyter-root set to the server\'s root folder as this machine sees it, so kernels start beside notebooks.'
    );
  }

  /** The kernel's working directory (Python kernels; undefined for others or on any failure). */
  private async kernelCwd(kernelId: string): Promise<string | undefined> {
    try {
      const conn = await this.link.ready(kernelId, 10_000);
      // A silent request with a user expression: nothing reaches the history or the outputs.
      const future = conn.requestExecute({ code: '', silent: true, store_history: false, allow_stdin: false, stop_on_error: false, user_expressions: { cwd: '__import__("os").getcwd()' } });
      const reply = (await withTimeout(future.done, 10_000, () => new Error('no reply'))) as KernelMessage.IExecuteReplyMsg;
      const expr = (reply.content as { user_expressions?: Record<string, { status?: string; data?: Record<string, unknown> }> }).user_expressions?.cwd;
      const text = expr?.status === 'ok' ? expr.data?.['text/plain'] : undefined;
      return typeof text === 'string' ? text.replace(/^(['"])(.*)\1$/s, '$2') : undefined;
    } catch {
      return undefined;
    }
  }

  private async sessionKernel(path: string, kernelName: string | undefined, notebookPath: string): Promise<ActiveKernelInfo> {
    const { SessionAPI } = services();
    const sessions = await this.link.rest('list sessions', () => SessionAPI.listRunning(this.link.settings));
    const existing = sessions.find((s) => s.path === path && s.kernel);
    if (existing?.kernel && existing.kernel.execution_state !== 'dead') return toInfo(existing.kernel, notebookPath);
    const name = await this.kernels.resolveSpec(kernelName);
    if (existing) await this.link.rest('remove a dead session', () => SessionAPI.shutdownSession(existing.id, this.link.settings)).catch(() => undefined);
    const session = await this.link.rest(`start a "${name}" kernel for ${path}`, () =>
      SessionAPI.startSession({ path, name: basename(path), type: 'notebook', kernel: { name } }, this.link.settings),
    );
    if (!session.kernel) throw new KernelError(`Jupyter server at ${this.link.url} created a session for ${path} without a kernel.`, 'kernel');
    this.link.owned.set(session.kernel.id, session.id);
    this.link.log.info(`kernel ${session.kernel.id} (${name}) started for ${path}`);
    await this.link.ready(session.kernel.id, 60_000, true);
    return toInfo({ ...session.kernel, execution_state: 'idle' }, notebookPath);
  }
}
