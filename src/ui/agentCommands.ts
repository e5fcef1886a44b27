// The person's side of agent changes: review (VS Code's notebook diff, the notebook before the
// agents' changes ↔ now), revert (the agents' changes go, the person's stay: one undo step when
// the notebook is open), accept (markers and checkpoints go), and a list of the notebooks with
// agent changes. Each command takes an optional notebook URI (markers and the notebook toolbar
// pass theirs; tests too) and returns what it did.
import * as vscode from 'vscode';
import * as os from 'os';
import * as path from 'path';
import { COMMANDS } from './commandIds';
import type { ServerController } from './serverController';
import type { RevertReport } from '../agents/changes';
import type { Runtime } from '../editor/runtime';

/** Context key: the active notebook has agent changes (shows the toolbar buttons). */
const HAS_CHANGES = 'jupyterMcp.activeNotebookHasAgentChanges';

export function registerAgentCommands(server: ServerController): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, fn);
  const updateContext = () => {
    const doc = vscode.window.activeNotebookEditor?.notebook;
    const rt = server.current;
    const has = !!doc && !!rt && doc.uri.scheme === 'file' && rt.agents.has(rt.workspace.relative(doc.uri.fsPath));
    void vscode.commands.executeCommand('setContext', HAS_CHANGES, has);
  };
  return [
    reg(COMMANDS.reviewAgentChanges, (uri?: vscode.Uri) => review(server, uri)),
    reg(COMMANDS.revertAgentChanges, (uri?: vscode.Uri, opts?: { agent?: string }) => revert(server, uri, opts)),
    reg(COMMANDS.acceptAgentChanges, (uri?: vscode.Uri, opts?: { agent?: string }) => accept(server, uri, opts)),
    reg(COMMANDS.showAgentChanges, () => show(server)),
    server.onDidChange(updateContext),
    vscode.window.onDidChangeActiveNotebookEditor(updateContext),
  ];
}

/** The server's runtime (started if it is not running), or undefined with a message. */
async function runtimeOf(server: ServerController): Promise<Runtime | undefined> {
  const rt = await server.start();
  if (!rt) void vscode.window.showErrorMessage(`Jupyter MCP server is not running: ${server.lastError ?? 'see the log'}. Agent changes are kept; start the server to see them.`);
  else await rt.agents.ready;
  return rt;
}

/** The notebook a command is about: the one given, else the active one, else one picked from those with changes. */
async function notebookFor(rt: Runtime, uri: vscode.Uri | undefined, action: string): Promise<string | undefined> {
  if (uri) return rt.workspace.relative(uri.fsPath);
  const active = vscode.window.activeNotebookEditor?.notebook.uri;
  if (active?.scheme === 'file' && rt.agents.has(rt.workspace.relative(active.fsPath))) return rt.workspace.relative(active.fsPath);
  const all = rt.agents.summary();
  if (all.length === 0) {
    void vscode.window.showInformationMessage('Jupyter MCP: no agent changes are recorded (none made, or all accepted or reverted).');
    return undefined;
  }
  if (all.length === 1) return all[0].path;
  const pick = await vscode.window.showQuickPick(
    all.map((n) => ({ label: n.path, description: describe(n.agents), path: n.path })),
    { title: `${action}: which notebook?` },
  );
  return pick?.path;
}

function describe(agents: Record<string, number>): string {
  return Object.entries(agents).map(([agent, n]) => `${agent} ${n} cell${n === 1 ? '' : 's'}`).join(', ');
}

async function review(server: ServerController, uri?: vscode.Uri): Promise<{ original: string; modified: string } | undefined> {
  const rt = await runtimeOf(server);
  if (!rt) return undefined;
  const rel = await notebookFor(rt, uri, 'Review Agent Changes');
  if (!rel) return undefined;
  const cp = await rt.agents.checkpointFile(rel, path.join(os.tmpdir(), 'jupyter-mcp-review')).catch((e) => {
    void vscode.window.showErrorMessage(`Jupyter MCP: the checkpoint of ${rel} cannot be read: ${(e as Error).message}`);
    return null;
  });
  if (cp === null) return undefined;
  if (!cp) {
    void vscode.window.showInformationMessage(`Jupyter MCP: no agent changes are recorded in ${rel}.`);
    return undefined;
  }
  const original = vscode.Uri.file(cp.file);
  const modified = vscode.Uri.file(path.join(rt.workspace.root, rel));
  const when = new Date(cp.at).toLocaleTimeString();
  // Both sides are .ipynb: VS Code opens its notebook diff editor.
  await vscode.commands.executeCommand('vscode.diff', original, modified, `${path.basename(rel)} (before agents, ${when}) ↔ now`);
  return { original: original.toString(), modified: modified.toString() };
}

async function revert(server: ServerController, uri?: vscode.Uri, opts?: { agent?: string }): Promise<RevertReport | undefined> {
  const rt = await runtimeOf(server);
  if (!rt) return undefined;
  const rel = await notebookFor(rt, uri, 'Revert Agent Changes');
  if (!rel) return undefined;
  let agent = opts?.agent;
  if (!opts) {
    // Asked interactively: which agents, and a confirmation (a closed notebook has no undo).
    const agents = Object.keys(rt.agents.summary().find((n) => n.path === rel)?.agents ?? {});
    if (agents.length > 1) {
      const pick = await vscode.window.showQuickPick([{ label: 'All agents', agent: undefined as string | undefined }, ...agents.map((a) => ({ label: `Only ${a}`, agent: a as string | undefined }))], {
        title: `Revert the agent changes of ${rel}`,
      });
      if (!pick) return undefined;
      agent = pick.agent;
    }
    const open = vscode.workspace.notebookDocuments.some((d) => d.uri.fsPath === path.join(rt.workspace.root, rel));
    const go = await vscode.window.showWarningMessage(
      `Revert the changes ${agent ?? 'agents'} made in ${rel}? Cells you changed after the agent stay as they are.${open ? ' One Undo brings the changes back.' : ''}`,
      { modal: true },
      'Revert',
    );
    if (go !== 'Revert') return undefined;
  }
  try {
    const report = await rt.agents.revert(rel, agent ? { agent } : {});
    void vscode.window.showInformationMessage(`Jupyter MCP: ${report.message}`);
    return report;
  } catch (e) {
    void vscode.window.showErrorMessage(`Jupyter MCP: ${(e as Error).message}`);
    return undefined;
  }
}

async function accept(server: ServerController, uri?: vscode.Uri, opts?: { agent?: string }): Promise<number | undefined> {
  const rt = await runtimeOf(server);
  if (!rt) return undefined;
  const rel = await notebookFor(rt, uri, 'Accept Agent Changes');
  if (!rel) return undefined;
  const n = rt.agents.accept(rel, opts?.agent);
  void vscode.window.showInformationMessage(`Jupyter MCP: accepted the agent changes of ${n} cell${n === 1 ? '' : 's'} in ${rel} (markers and checkpoints removed).`);
  return n;
}

/** Lists the notebooks with agent changes; picking one offers review, revert and accept. */
async function show(server: ServerController): Promise<Array<{ path: string; agents: Record<string, number> }> | undefined> {
  const rt = await runtimeOf(server);
  if (!rt) return undefined;
  const all = rt.agents.summary();
  if (all.length === 0) {
    void vscode.window.showInformationMessage('Jupyter MCP: no agent changes are recorded (none made, or all accepted or reverted).');
    return [];
  }
  void (async () => {
    const pick = await vscode.window.showQuickPick(
      all.map((n) => ({ label: n.path, description: describe(n.agents), detail: n.problem, path: n.path })),
      { title: 'Agent changes not yet accepted' },
    );
    if (!pick) return;
    const uri = vscode.Uri.file(path.join(rt.workspace.root, pick.path));
    const action = await vscode.window.showQuickPick(['Review', 'Revert…', 'Accept'], { title: pick.path });
    if (action === 'Review') await review(server, uri);
    else if (action === 'Revert…') await revert(server, uri);
    else if (action === 'Accept') await accept(server, uri);
  })();
  return all.map((n) => ({ path: n.path, agents: n.agents }));
}
