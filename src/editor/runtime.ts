// The extension's heavy half, bundled separately (dist/runtime.js) and loaded only when the server
// starts, so activation stays cheap: the MCP SDK, the HTTP server, the stores, @jupyterlab/services.
import { Workspace } from '../notebooks/paths';
import { FileNotebookStore } from '../notebooks/fileStore';
import { RoutingNotebookStore } from '../notebooks/router';
import { EditorNotebookStore } from './documentStore';
import { KernelRouter } from '../kernels/router';
import type { KernelBackend } from '../kernels/backend';
import { JupyterServerBackend } from '../kernels/jupyter';
import { EditorNotConnectedBackend } from '../kernels/offline';
import { createMcpServer, SERVER_VERSION } from '../server/mcpServer';
import { startHttpServer, type RunningHttpServer } from '../server/http';
import { TOOLS } from '../tools';
import type { Logger } from '../util/log';
import type { OutputLimits } from '../tools/tool';
import { registerSecret } from '../util/log';
import * as vscode from 'vscode';
import { EditorKernels } from './editorKernels';
import { EditorCellRunner } from './cellRunner';
import { AgentChanges } from '../agents/changes';
import { CheckpointStore, workspaceCheckpointDir } from '../agents/checkpoints';
import { TrackingNotebookStore } from '../agents/trackingStore';
import type { CellRunner } from '../tools/tool';
import type { NotebookStore } from '../notebooks/store';
import { currentCaller } from '../util/callNotes';
import { cellRefId } from '../notebooks/cells';
import { AgentMarkers } from './agentMarkers';
import { NotebookChanges } from '../notebooks/changes';
import { ChangeReportingStore } from '../notebooks/changeReporting';
import { feedEditorChanges } from './notebookChanges';
import { showOutput } from '../server/apps/outputViewer';
import { PROMPT_NAMES } from '../server/prompts';

export interface RuntimeOptions {
  root: string;
  port: number;
  authToken: string;
  jupyter?: { url: string; token?: string };
  limits: OutputLimits;
  timeoutMs: number;
  /** Longest an execution call waits before answering "running" (setting jupyterMcp.maxWait). */
  maxWaitMs?: number;
  log: Logger;
  saveAfterEdit: () => boolean;
  mayRunCode: () => string | undefined;
  onSessionsChanged: (n: number) => void;
  onToolCall: (name: string, ms: number, ok: boolean, target?: string) => void;
  /** Base folder of agent-change checkpoints (the extension's storage); none: kept in memory only. */
  checkpointDir?: string;
  /** Setting jupyterMcp.agentProvenanceInMetadata: also write which agent changed a cell into its metadata. */
  provenanceInMetadata?: () => boolean;
}

export interface Runtime {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly kernels: KernelRouter;
  readonly editorKernels: EditorKernels;
  readonly jupyterUrl: string | undefined;
  readonly workspace: Workspace;
  /** What agents changed in which notebook (markers, review, revert, accept). */
  readonly agents: AgentChanges;
  /** The cell status bar items that mark agents' cells. */
  readonly markers: AgentMarkers;
  sessionCount(): number;
  /** New limits and waits for the calls that start from now on (no restart: sessions and kernels stay). */
  applySettings(limits: OutputLimits, execution: { timeoutMs: number; maxWaitMs?: number }): void;
  connectJupyter(url: string, token: string | undefined): Promise<void>;
  disconnectJupyter(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds a backend for a Jupyter server and checks it answers with this token. */
export async function connectBackend(url: string, token: string | undefined, log: Logger): Promise<JupyterServerBackend> {
  registerSecret(token);
  const backend = new JupyterServerBackend({ url, token, log });
  try {
    await backend.listKernels();
  } catch (e) {
    await backend.dispose().catch(() => undefined);
    throw e;
  }
  return backend;
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const workspace = new Workspace(opts.root);
  const files = new FileNotebookStore(workspace);
  const editorStore = new EditorNotebookStore(workspace, { saveAfterEdit: opts.saveAfterEdit, log: opts.log, files });
  const routed = new RoutingNotebookStore(files, editorStore);
  // Agents' changes are recorded (with checkpoints in the extension's storage, outside the
  // workspace) and shown as markers; the person's revert goes through the untracked router.
  const agents = new AgentChanges({ store: routed, checkpoints: new CheckpointStore(opts.checkpointDir ? workspaceCheckpointDir(opts.checkpointDir, opts.root) : undefined), log: opts.log });
  // Resource subscriptions hear of changes from the editor's events and file watcher (no polling)
  // and, at once, from the tools' own writes.
  const changes = new NotebookChanges(routed, { pollMs: 0, scanMs: 0 });
  const changeFeed = feedEditorChanges(workspace, changes);
  const notebooks = new ChangeReportingStore(new TrackingNotebookStore(routed, agents, { provenanceInMetadata: opts.provenanceInMetadata }), changes);
  const markers = new AgentMarkers(agents, workspace);
  const renames = vscode.workspace.onDidRenameFiles((e) => {
    for (const f of e.files) if (f.oldUri.scheme === 'file' && f.newUri.scheme === 'file') agents.renamed(workspace.relative(f.oldUri.fsPath), workspace.relative(f.newUri.fsPath));
  });
  let jupyter: KernelBackend = new EditorNotConnectedBackend();
  let jupyterUrl: string | undefined;
  if (opts.jupyter) {
    try {
      jupyter = await connectBackend(opts.jupyter.url, opts.jupyter.token, opts.log);
      jupyterUrl = opts.jupyter.url;
    } catch (e) {
      opts.log.warn(`Jupyter server ${opts.jupyter.url} not usable: ${(e as Error).message}`);
      jupyter = new EditorNotConnectedBackend(`the saved server ${new URL(opts.jupyter.url).origin} did not answer: ${(e as Error).message}`);
    }
  }
  const editorKernels = new EditorKernels(workspace, opts.log);
  const kernels = new KernelRouter(jupyter, editorKernels);
  // The "Jupyter MCP: <server>" notebook controller, on whatever Jupyter backend the router has.
  editorKernels.attachJupyter(kernels);
  const cellRunner = trackRuns(new EditorCellRunner(editorKernels), routed, agents);
  // Tools read limits and waits from these objects on every call: applySettings updates them in place.
  const context = {
    notebooks,
    changes,
    agents,
    cellRunner,
    kernels,
    limits: { ...opts.limits },
    execution: { timeoutMs: opts.timeoutMs, maxWaitMs: opts.maxWaitMs },
    log: opts.log,
    mayRunCode: opts.mayRunCode,
  };
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      host: '127.0.0.1',
      port: opts.port,
      authToken: opts.authToken,
      maxBodyBytes: 100 * 1024 * 1024,
      createServer: () => createMcpServer(context, { onToolCall: opts.onToolCall }),
      log: opts.log,
      onSessionsChanged: opts.onSessionsChanged,
    });
  } catch (e) {
    // E.g. the port is taken: release the controller and listeners, or a retry would collide.
    await kernels.dispose();
    editorStore.dispose();
    editorKernels.dispose();
    markers.dispose();
    renames.dispose();
    changeFeed.dispose();
    changes.dispose();
    await agents.dispose();
    throw e;
  }
  // What VS Code may cache per version: the tools (with the MCP Apps viewer's) and the prompts.
  const toolNames = [...TOOLS.map((t) => t.name), showOutput.name, ...PROMPT_NAMES];
  return {
    url: http.url,
    port: http.port,
    // Changes when the tool or prompt list changes, so the editor refreshes what it cached.
    version: `${SERVER_VERSION}+${toolNames.length}.${hash(toolNames.join(','))}`,
    kernels,
    editorKernels,
    get jupyterUrl() {
      return jupyterUrl;
    },
    workspace,
    agents,
    markers,
    sessionCount: () => http.sessionCount(),
    applySettings(limits, execution) {
      Object.assign(context.limits, limits);
      Object.assign(context.execution, execution);
    },
    async connectJupyter(url, token) {
      const backend = await connectBackend(url, token, opts.log);
      await kernels.setJupyter(backend);
      jupyterUrl = url;
    },
    async disconnectJupyter() {
      await kernels.setJupyter(new EditorNotConnectedBackend());
      jupyterUrl = undefined;
    },
    async stop() {
      await http.close();
      await kernels.dispose();
      editorStore.dispose();
      editorKernels.dispose();
      markers.dispose();
      renames.dispose();
      changeFeed.dispose();
      changes.dispose();
      await agents.dispose();
    },
  };
}

/**
 * Cells an agent runs in the editor get their outputs from VS Code itself, not through the store:
 * the run is recorded here (the notebook read before it is the checkpoint if this is the agent's
 * first change), after the run, off the tool's answer.
 */
function trackRuns(runner: EditorCellRunner, store: NotebookStore, agents: AgentChanges): CellRunner {
  const before = async (rel: string) => (currentCaller() ? (await store.read(rel).catch(() => undefined))?.notebook : undefined);
  const after = (rel: string, nb: Awaited<ReturnType<typeof before>>, indices: readonly number[]) => {
    const caller = currentCaller();
    if (!caller || !nb) return;
    const ids = indices.filter((i) => i < nb.cells.length).map((i) => cellRefId(nb.cells[i], i));
    void store
      .read(rel)
      .then((now) => agents.recordRun(rel, nb, now.notebook, ids, caller))
      .catch(() => undefined);
  };
  return {
    serves: (rel) => runner.serves(rel),
    runCell: async (rel, index, opts) => {
      const nb = await before(rel);
      try {
        return await runner.runCell(rel, index, opts);
      } finally {
        after(rel, nb, [index]);
      }
    },
    runCells: async function* (rel, indices, opts) {
      const nb = await before(rel);
      try {
        yield* runner.runCells(rel, indices, opts);
      } finally {
        after(rel, nb, indices);
      }
    },
  };
}

function hash(s: string): string {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = ((h << 5) + h + s.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
