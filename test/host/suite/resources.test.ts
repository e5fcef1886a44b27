// Notebooks as MCP resources through the extension's own server in a REAL VS Code host, for what
// only the editor can show: a notebook open in the editor is listed as open and read with the
// person's unsaved typing; a subscription to it hears of that typing (VS Code's document events),
// of an agent's edit through the editor, and of the file changing on disk (VS Code's file watcher,
// switched on for this suite: the host tests' settings switch it off).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JupyterMcpApi } from '../../../src/extension';
import { EXTENSION_ID } from './connectedRuntime';
import { recordResourceEvents } from '../../helpers/notifications';
import { emptyNotebook, makeCell, serializeNotebook } from '../../../src/notebooks/nbformat';
import { connectMcpClient } from './helpers';

function writeNotebook(root: string, name: string, sources: string[]): void {
  const nb = emptyNotebook({ name: 'python3', display_name: 'Python 3', language: 'python' });
  sources.forEach((s, i) => nb.cells.push(makeCell('code', s, { id: `c${i}` })));
  fs.writeFileSync(path.join(root, name), serializeNotebook(nb));
}

const text = (r: { contents: unknown[] }) => String((r.contents[0] as { text?: string }).text);

suite('MCP resources of open notebooks (real VS Code)', () => {
  let api: JupyterMcpApi;
  let root: string;
  let mcp: { client: Client; transport: StreamableHTTPClientTransport };
  const files = vscode.workspace.getConfiguration('files');
  let watcherExclude: unknown;

  suiteSetup(async function () {
    const ext = vscode.extensions.getExtension<JupyterMcpApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    watcherExclude = files.inspect('watcherExclude')?.globalValue;
    await files.update('watcherExclude', {}, vscode.ConfigurationTarget.Global);
    await api.server.stop();
    await vscode.workspace.getConfiguration('jupyterMcp').update('port', 0, vscode.ConfigurationTarget.Global);
    assert.ok(await api.server.start(), `the MCP server did not start: ${api.server.lastError}`);
    mcp = await connectMcpClient(api, 'resources-suite');
  });

  suiteTeardown(async () => {
    await mcp?.transport.terminateSession().catch(() => undefined);
    await mcp?.client.close().catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await files.update('watcherExclude', watcherExclude, vscode.ConfigurationTarget.Global);
  });

  test('the person types in an open notebook: updated arrives, and the view read then has the unsaved text', async () => {
    writeNotebook(root, 'res-typing.ipynb', ['a = 1', 'b = 2']);
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, 'res-typing.ipynb')));
    await vscode.window.showNotebookDocument(doc);
    const ev = recordResourceEvents(mcp.client);
    const listed = await mcp.client.listResources();
    assert.match(String(listed.resources.find((r) => r.name === 'res-typing.ipynb')?.description), /open in the editor/);
    await mcp.client.subscribeResource({ uri: 'notebook:///res-typing.ipynb' });
    const cell = doc.cellAt(1).document;
    const edit = new vscode.WorkspaceEdit();
    edit.insert(cell.uri, new vscode.Position(0, 0), '# typed by the person\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(doc.isDirty, 'the typing is unsaved');
    await ev.until(() => ev.updated.includes('notebook:///res-typing.ipynb'), 30_000, 'updated after typing');
    const view = await mcp.client.readResource({ uri: 'notebook:///res-typing.ipynb/cells/c1.md' });
    assert.match(text(view), /# typed by the person\nb = 2/);
    await mcp.client.unsubscribeResource({ uri: 'notebook:///res-typing.ipynb' });
  });

  test('an agent edits the open notebook through the editor: updated', async () => {
    writeNotebook(root, 'res-agent.ipynb', ['x = 1']);
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, 'res-agent.ipynb')));
    await vscode.window.showNotebookDocument(doc);
    const ev = recordResourceEvents(mcp.client);
    await mcp.client.subscribeResource({ uri: 'notebook:///res-agent.ipynb/cells/c0.md' });
    const r = (await mcp.client.callTool({ name: 'update_cell', arguments: { path: 'res-agent.ipynb', cell_id: 'c0', source: 'x = 2' } })) as { isError?: boolean; structuredContent?: { store?: string } };
    assert.ok(!r.isError, JSON.stringify(r));
    await ev.until(() => ev.updated.includes('notebook:///res-agent.ipynb/cells/c0.md'), 30_000, 'updated after the agent edit');
    assert.equal(doc.cellAt(0).document.getText(), 'x = 2', 'the edit went through the editor');
    await mcp.client.unsubscribeResource({ uri: 'notebook:///res-agent.ipynb/cells/c0.md' });
  });

  test('a closed notebook changed on disk, and one created and deleted: updated and list_changed from VS Code\'s file watcher', async () => {
    writeNotebook(root, 'res-disk.ipynb', ['d = 1']);
    const ev = recordResourceEvents(mcp.client);
    await mcp.client.listResources();
    await mcp.client.subscribeResource({ uri: 'notebook:///res-disk.ipynb' });
    // The watcher may take a moment to start after the setting changed: write until it reports.
    let k = 2;
    const started = Date.now();
    while (!ev.updated.includes('notebook:///res-disk.ipynb')) {
      assert.ok(Date.now() - started < 60_000, `no updated for res-disk.ipynb after 60 s; got ${JSON.stringify(ev.updated)}`);
      writeNotebook(root, 'res-disk.ipynb', [`d = ${k++}`]);
      await ev.until(() => ev.updated.includes('notebook:///res-disk.ipynb'), 5_000, 'updated after a disk write').catch(() => undefined);
    }
    const n = ev.listChanged;
    writeNotebook(root, 'res-new.ipynb', ['n = 1']);
    await ev.until(() => ev.listChanged > n, 30_000, 'list_changed after a file appeared');
    const m = ev.listChanged;
    fs.rmSync(path.join(root, 'res-new.ipynb'));
    await ev.until(() => ev.listChanged > m, 30_000, 'list_changed after a file went');
    await mcp.client.unsubscribeResource({ uri: 'notebook:///res-disk.ipynb' });
  });
});
