// The editor-independent core: the file notebook store, the kernel backend and the tool context.
// The standalone CLI uses it as is; the extension wraps the store with the editor router and adds
// the editor kernel backend. Agents' edits go through a tracking store that records what each
// agent changed, with checkpoints in a cache folder outside the workspace (src/agents/).
import { Workspace } from './notebooks/paths';
import { FileNotebookStore } from './notebooks/fileStore';
import type { KernelBackend } from './kernels/backend';
import { createKernelBackend } from './kernels/factory';
import type { Settings } from './config';
import type { Logger } from './util/log';
import { NotebookChanges } from './notebooks/changes';
import { ChangeReportingStore } from './notebooks/changeReporting';
import type { ServerContext } from './server/mcpServer';
import { AgentChanges } from './agents/changes';
import { CheckpointStore, defaultCheckpointBase, sweepOldWorkspaces, workspaceCheckpointDir } from './agents/checkpoints';
import { TrackingNotebookStore } from './agents/trackingStore';

export interface Core {
  workspace: Workspace;
  files: FileNotebookStore;
  kernels: KernelBackend;
  agents: AgentChanges;
  context: ServerContext;
  dispose(): Promise<void>;
}

export async function createCore(settings: Settings, log: Logger): Promise<Core> {
  const workspace = new Workspace(settings.root);
  const files = new FileNotebookStore(workspace);
  const kernels = await createKernelBackend(settings, log);
  const base = settings.agents?.checkpointDir ?? defaultCheckpointBase();
  const dir = workspaceCheckpointDir(base, settings.root);
  void sweepOldWorkspaces(base, dir);
  const agents = new AgentChanges({ store: files, checkpoints: new CheckpointStore(dir), log });
  const provenance = settings.agents?.provenanceInMetadata === true;
  // Resource subscriptions: the tools' own writes are reported at once, the rest by polling the
  // subscribed notebooks (src/notebooks/changes.ts says why not a recursive fs.watch).
  const changes = new NotebookChanges(files);
  const context: ServerContext = {
    notebooks: new ChangeReportingStore(new TrackingNotebookStore(files, agents, { provenanceInMetadata: () => provenance }), changes),
    changes,
    agents,
    kernels,
    limits: {
      maxOutputChars: settings.limits.maxOutputChars,
      maxImageBytes: settings.limits.maxImageBytes,
      maxResultChars: settings.limits.maxResultChars,
      maxResultCharsSet: settings.limits.maxResultCharsSet,
      resultShape: settings.limits.resultShape,
    },
    execution: { timeoutMs: settings.execution.timeoutMs, maxWaitMs: settings.execution.maxWaitMs },
    log,
    mayRunCode: () => undefined,
  };
  return {
    workspace,
    files,
    kernels,
    agents,
    context,
    dispose: async () => {
      changes.dispose();
      await Promise.all([kernels.dispose(), agents.dispose()]);
    },
  };
}
