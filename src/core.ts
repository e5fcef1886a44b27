// The editor-independent core: the file notebook store, the kernel backend and the tool context.
// The standalone CLI uses it as is; the extension wraps the store with the editor router and adds
// the editor kernel backend.
import { Workspace } from './notebooks/paths';
import { FileNotebookStore } from './notebooks/fileStore';
import type { KernelBackend } from './kernels/backend';
import { createKernelBackend } from './kernels/factory';
import type { Settings } from './config';
import type { Logger } from './util/log';
import { NotebookChanges } from './notebooks/changes';
import { ChangeReportingStore } from './notebooks/changeReporting';
import type { ServerContext } from './server/mcpServer';

export interface Core {
  workspace: Workspace;
  files: FileNotebookStore;
  kernels: KernelBackend;
  context: ServerContext;
  dispose(): Promise<void>;
}

export async function createCore(settings: Settings, log: Logger): Promise<Core> {
  const workspace = new Workspace(settings.root);
  const files = new FileNotebookStore(workspace);
  const kernels = await createKernelBackend(settings, log);
  // Resource subscriptions: the tools' own writes are reported at once, the rest by polling the
  // subscribed notebooks (src/notebooks/changes.ts says why not a recursive fs.watch).
  const changes = new NotebookChanges(files);
  const context: ServerContext = {
    notebooks: new ChangeReportingStore(files, changes),
    changes,
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
    context,
    dispose: () => {
      changes.dispose();
      return kernels.dispose();
    },
  };
}
