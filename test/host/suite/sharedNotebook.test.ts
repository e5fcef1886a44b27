// One notebook, a person and an agent, in a REAL VS Code host: the agent ("Roo Code", a real MCP
// client over HTTP to the extension's server) edits an open notebook while the person types in it
// (WorkspaceEdits on the cells, as typing produces); the cells the agent added, changed or ran carry
// a marker naming it; "Revert Agent Changes" takes the agent's work back and keeps the person's;
// "Review Agent Changes" opens VS Code's notebook diff; a closed notebook comes back byte for byte;
// and the agent's edits of cells the person changed after it read them are refused.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JupyterMcpApi } from '../../../src/extension';
import type { RevertReport } from '../../../src/agents/changes';
import { writeNotebook } from './notebookFiles';
import { CONTROLLER_ID } from '../../../src/editor/controller';
import { startConnectedRuntime, stopConnectedRuntime, type ConnectedRuntime } from './connectedRuntime';
import { connectMcpClient, until } from './helpers';

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

let api: JupyterMcpApi;
let root: string;
let fixture: string;
let n = 0;

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = { isError?: boolean; text: string; structured: any };

class Agent {
  private constructor(
    private readonly client: Client,
    private readonly transport: StreamableHTTPClientTransport,
  ) {}

  static async connect(name: string): Promise<Agent> {
    const { client, transport } = await connectMcpClient(api, name, '1.0.0');
    return new Agent(client, transport);
  }

  async call(name: string, args: Record<string, unknown>): Promise<Result> {
    const r = (await this.client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: unknown };
    return { isError: r.isError, text: r.content.map((c) => c.text ?? '').join('\n'), structured: r.structuredContent };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async ok(name: string, args: Record<string, unknown>): Promise<any> {
    const r = await this.call(name, args);
    if (r.isError) throw new Error(`${name}: ${r.text}`);
    return r.structured;
  }

  async close(): Promise<void> {
    await this.transport.terminateSession().catch(() => undefined);
    await this.client.close();
  }
}

/** A fresh copy of the analysis notebook (ids a95a0aac, 7c498ad4, cb7e3919, …) in the workspace. */
function copy(): { name: string; file: string; uri: vscode.Uri } {
  const name = `shared-${++n}.ipynb`;
  const file = path.join(root, name);
  fs.copyFileSync(fixture, file);
  return { name, file, uri: vscode.Uri.file(file) };
}

async function open(uri: vscode.Uri): Promise<vscode.NotebookDocument> {
  const doc = await vscode.workspace.openNotebookDocument(uri);
  await vscode.window.showNotebookDocument(doc);
  return doc;
}

/** The person types `text` at the start of cell `index` (what a keystroke's edit does). */
async function personTypes(doc: vscode.NotebookDocument, index: number, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.insert(doc.cellAt(index).document.uri, new vscode.Position(0, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the typing was applied');
}

/** The markers our provider gives each cell ("" for none). */
function markers(doc: vscode.NotebookDocument): string[] {
  const provider = api.server.current!.markers;
  return doc.getCells().map((c) => provider.provideCellStatusBarItems(c).map((i) => i.text).join(' | '));
}

const idOf = (c: vscode.NotebookCell) => String((c.metadata as { id?: unknown }).id);

suite('Shared notebook: the person and an agent in one notebook', () => {
  let agent: Agent;

  suiteSetup(async function () {
    this.timeout(60_000);
    api = await vscode.extensions.getExtension<JupyterMcpApi>(EXTENSION_ID)!.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    fixture = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'analysis.ipynb');
    await until('the server to run', () => api.server.state === 'running');
    // code-server saves by itself after 1 s by default; desktop VS Code does not.
    await vscode.workspace.getConfiguration('files').update('autoSave', 'off', vscode.ConfigurationTarget.Global);
    agent = await Agent.connect('Roo Code');
  });

  suiteTeardown(async () => {
    await agent?.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('files').update('autoSave', undefined, vscode.ConfigurationTarget.Global);
  });

  test('an agent adds and updates cells while the person types in another: markers name the agent; Revert Agent Changes takes back its work and keeps the typing', async () => {
    const { name, uri } = copy();
    const doc = await open(uri);
    await agent.ok('read_notebook', { path: name, format: 'outline' });
    const added = await agent.ok('add_cell', { path: name, cell_type: 'markdown', source: '## Notes by the agent', index: 1 });
    await personTypes(doc, 0, 'The person writes: ');
    await agent.ok('update_cell', { path: name, cell_id: 'cb7e3919', source: 'sales = [100, 110, 120]' });
    await agent.ok('edit_cell_source', { path: name, cell_id: 'ce7596f2', old_string: 'return a / b', new_string: 'return a / b if b else None' });

    const byId = () => Object.fromEntries(doc.getCells().map((c, i) => [idOf(c), markers(doc)[i]]));
    await until('the markers', () => /Roo Code · edited/.test(byId().ce7596f2));
    const m = byId();
    assert.match(m[added.cell_id], /^\$\(hubot\) Roo Code · added · just now$/);
    assert.match(m.cb7e3919, /^\$\(hubot\) Roo Code · edited · just now$/);
    assert.equal(m.a95a0aac, '', 'no marker on the cell the person typed in');
    assert.equal(m['7c498ad4'], '', 'no marker on cells nobody changed');
    // The status bar says, per notebook, how many cells each agent changed.
    await until('the status bar tooltip', () => api.statusBar.tooltip.includes(`• ${name} — Roo Code 3 cells`)).catch((e: Error) => {
      throw new Error(`${e.message}; the tooltip reads:\n${api.statusBar.tooltip}`);
    });

    // The person edits one of the agent's cells: its marker goes, and a revert leaves it.
    const ratio = doc.getCells().findIndex((c) => idOf(c) === 'ce7596f2');
    await personTypes(doc, ratio, '# reviewed\n');
    await until('the marker of the cell the person edited to go', () => byId().ce7596f2 === '');

    const report = await vscode.commands.executeCommand<RevertReport>('jupyterMcp.revertAgentChanges', uri, {});
    assert.equal(report.store, 'editor');
    assert.deepEqual(report.reverted.map((r) => r.cell_id).sort(), [added.cell_id, 'cb7e3919'].sort());
    assert.deepEqual(report.left.map((l) => l.cell_id), ['ce7596f2']);
    const texts = doc.getCells().map((c) => c.document.getText());
    assert.equal(doc.cellCount, 10, 'the added cell is gone');
    assert.match(texts[0], /^The person writes: # Sales analysis/, "the person's typing is kept");
    assert.match(texts[2], /^sales = rng\.normal/, 'the updated cell has its content back');
    assert.match(texts[6], /^# reviewed\ndef ratio\(a, b\):\n {4}return a \/ b if b else None/, 'the cell both changed is left as the person has it');
    await until('no markers left', () => markers(doc).every((t) => t === ''));
    // One undo step brings the agent's work back (the revert was one WorkspaceEdit).
    await vscode.window.showNotebookDocument(doc);
    await vscode.commands.executeCommand('undo');
    await until('the undo of the revert', () => doc.cellCount === 11 && doc.cellAt(3).document.getText() === 'sales = [100, 110, 120]');
    assert.match(doc.cellAt(0).document.getText(), /^The person writes: /);
  });

  test('Review Agent Changes opens the notebook diff: the notebook before the agent ↔ now', async () => {
    const { name, uri } = copy();
    await open(uri);
    await agent.ok('read_notebook', { path: name, format: 'outline' });
    await agent.ok('update_cell', { path: name, cell_id: 'cb7e3919', source: 'sales = []' });
    const shown = await vscode.commands.executeCommand<{ original: string; modified: string }>('jupyterMcp.reviewAgentChanges', uri);
    assert.ok(shown, 'the review was opened');
    await until('the notebook diff editor', () => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputNotebookDiff);
    const input = vscode.window.tabGroups.activeTabGroup.activeTab!.input as vscode.TabInputNotebookDiff;
    assert.equal(input.modified.toString(), uri.toString());
    assert.equal(input.original.toString(), shown.original);
    assert.equal(input.notebookType, 'jupyter-notebook');
    // The checkpoint is outside the workspace and holds the cell as it was.
    assert.ok(!input.original.fsPath.startsWith(root), input.original.fsPath);
    assert.match(fs.readFileSync(input.original.fsPath, 'utf8'), /sales = rng\.normal/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    assert.equal(await vscode.commands.executeCommand('jupyterMcp.acceptAgentChanges', uri), 1);
  });

  test('a closed notebook edited by an agent is reverted to bytes identical to before', async () => {
    const { name, file, uri } = copy();
    const before = sha(file);
    await agent.ok('read_notebook', { path: name });
    const r = await agent.ok('add_cell', { path: name, cell_type: 'code', source: 'print("agent")' });
    assert.equal(r.store, 'file');
    await agent.ok('update_cell', { path: name, cell_id: '7c498ad4', source: 'import numpy as np' });
    await agent.ok('remove_cell', { path: name, cell_id: 'a77c64fc' });
    assert.notEqual(sha(file), before);
    const report = await vscode.commands.executeCommand<RevertReport>('jupyterMcp.revertAgentChanges', uri, {});
    assert.equal(report.store, 'file');
    assert.equal(report.bytes_restored, true);
    assert.equal(sha(file), before);
  });

  test('the person types in a cell; the agent\'s update_cell of it, read before the typing, is refused and the typing is intact', async () => {
    const { name, uri } = copy();
    const doc = await open(uri);
    await agent.ok('read_notebook', { path: name });
    await personTypes(doc, 2, '# the person is working here\n');
    const r = await agent.call('update_cell', { path: name, cell_id: 'cb7e3919', source: 'sales = None' });
    assert.equal(r.isError, true);
    assert.match(r.text, /Cell cb7e3919 \(index 2\) of shared-\d+\.ipynb changed since this session last read it/);
    assert.match(r.text, /# the person is working here\nsales = rng\.normal/, 'the refusal carries the cell as the person has it');
    assert.match(doc.cellAt(2).document.getText(), /^# the person is working here\nsales = rng\.normal/, 'the typing is intact');
    assert.equal(doc.getCells().filter((c) => c.document.getText() === 'sales = None').length, 0);
  });

  test('an index the agent read is refused after the person inserted a cell above it', async () => {
    const { name, uri } = copy();
    const doc = await open(uri);
    await agent.ok('read_notebook', { path: name, format: 'outline' });
    const insert = new vscode.WorkspaceEdit();
    insert.set(uri, [vscode.NotebookEdit.insertCells(0, [new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, 'A cell the person added', 'markdown')])]);
    assert.ok(await vscode.workspace.applyEdit(insert));
    const r = await agent.call('update_cell', { path: name, index: 2, source: 'replaced' });
    assert.equal(r.isError, true);
    assert.match(r.text, /Index 2 of shared-\d+\.ipynb now holds another cell than the one this session saw there/);
    assert.match(r.text, /Index 2 is now cell 7c498ad4/);
    assert.match(r.text, /you saw cell cb7e3919 there, now at index 3/);
    assert.equal(doc.cellCount, 11);
    assert.equal(doc.getCells().filter((c) => c.document.getText() === 'replaced').length, 0);
  });

  test('markers survive a server restart (records and checkpoints in the extension storage); Accept removes them', async () => {
    const { name, uri } = copy();
    const doc = await open(uri);
    await agent.ok('read_notebook', { path: name, format: 'outline' });
    await agent.ok('update_cell', { path: name, cell_id: '7c498ad4', source: 'import numpy as np' });
    await until('the marker', () => markers(doc)[1].includes('Roo Code · edited'));
    await agent.close();
    await vscode.commands.executeCommand('jupyterMcp.restartServer');
    agent = await Agent.connect('Roo Code');
    await until('the marker after the restart', () => markers(doc)[1].includes('Roo Code · edited'));
    const listed = await agent.ok('agent_changes', { path: name });
    assert.equal(listed.changes.length, 1);
    assert.equal(await vscode.commands.executeCommand('jupyterMcp.acceptAgentChanges', uri), 1);
    await until('no markers', () => markers(doc).every((t) => t === ''));
    await until('the status bar to drop the notebook', () => !api.statusBar.tooltip.includes(name));
  });
});

// An agent's run of a cell in the editor: VS Code writes the outputs (our "Jupyter MCP" controller
// on a real Jupyter server), not the store; the cell is still marked "ran", and a revert gives it
// back its earlier outputs. Skipped when /usr/bin/python3 cannot import jupyter_server and ipykernel.
suite('Shared notebook: a cell the agent ran in the editor', function () {
  this.timeout(120_000);
  let rt: ConnectedRuntime | undefined;
  let mcp: Awaited<ReturnType<typeof connectMcpClient>> | undefined;

  suiteSetup(async function () {
    rt = await startConnectedRuntime(this);
    api = rt.api;
    mcp = await connectMcpClient(rt.api, 'Roo Code');
  });
  suiteTeardown(() => stopConnectedRuntime(rt?.api, rt?.jupyter, mcp));

  test('the run is marked "ran" with the agent\'s name, and a revert gives back the outputs the cell had', async () => {
    const file = path.join(rt!.root, 'shared-run.ipynb');
    writeNotebook(file, ['print("before")', 'x = 1']);
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    await vscode.window.showNotebookDocument(doc);
    await until('our controller to be selected', async () => {
      void vscode.commands.executeCommand('_notebook.selectKernel', { id: CONTROLLER_ID, extension: EXTENSION_ID });
      await new Promise((r) => setTimeout(r, 100));
      return rt!.kernels.usesOurController(doc);
    });
    const r = (await mcp!.client.callTool({ name: 'execute_notebook_cell', arguments: { path: 'shared-run.ipynb', cell_index: 0, timeout: 100 } }, undefined, { timeout: 110_000 })) as { isError?: boolean; structuredContent?: { status?: string; kernel_id?: string } };
    assert.ok(!r.isError, JSON.stringify(r));
    assert.equal(r.structuredContent?.kernel_id, rt!.kernels.controller!.kernelIdFor(doc), 'the cell ran through the editor');
    assert.equal(doc.cellAt(0).outputs.length, 1);
    await until('the "ran" marker', () => markers(doc)[0].startsWith('$(hubot) Roo Code · ran · '));
    assert.equal(markers(doc)[1], '');
    const report = await vscode.commands.executeCommand<RevertReport>('jupyterMcp.revertAgentChanges', doc.uri, {});
    assert.deepEqual(report.reverted.map((c) => c.change), ['ran']);
    await until('the outputs of the run to be gone', () => doc.cellAt(0).outputs.length === 0);
    assert.equal(doc.cellAt(0).document.getText(), 'print("before")');
  });
});
