// The extension as people and agents meet it, in a REAL VS Code host: the in-process server
// answers a real MCP client over HTTP (with the token the editor hands to Copilot), edits of an
// open notebook land in the editor, commands work, and the status bar follows the server and the
// kernels.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { JupyterMcpApi } from '../../../src/extension';
import { definition } from '../../../src/ui/mcpProvider';
import { startJupyterServer, type TestJupyter } from '../../helpers/jupyter';
import { bearer, connectClient, connectMcpClient, waitFor } from './helpers';

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

let api: JupyterMcpApi;
let root: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: unknown };
  if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
  return r.structuredContent;
}

suite('Extension: in-process MCP server', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension<JupyterMcpApi>(EXTENSION_ID)!;
    api = await ext.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await waitFor('the server to run', () => api.server.state === 'running');
  });

  test('activation is cheap: the server bundle is not loaded by activate()', () => {
    // The MCP SDK and @jupyterlab/services live in dist/runtime.js, required only by start().
    assert.ok(api.activationMs >= 0);
    console.log(`    activation of the extension's own code: ${api.activationMs.toFixed(1)} ms`);
  });

  test('a client without the token is refused; with the editor-provided definition it works', async () => {
    await assert.rejects(connectClient(api.server.url!, 'host-test'), /401|Unauthorized|token/i);
    const def = await definition(api.server);
    assert.equal(def.uri.toString(), api.server.url);
    assert.match(def.headers.Authorization, /^Bearer \S{20,}$/);
    assert.equal(def.version, api.server.version);
    const { client, transport } = await connectClient(api.server.url!, 'host-test', bearer(def.headers.Authorization.slice(7)));
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'read_notebook') && tools.some((t) => t.name === 'execute_notebook_cell'));
    await transport.terminateSession();
    await client.close();
  });

  test('an agent edits an open notebook through the editor: the document changes and undo reverts it', async () => {
    const file = path.join(root, 'agent-edit.ipynb');
    fs.copyFileSync(path.join(root, 'smoke.ipynb'), file);
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    await vscode.window.showNotebookDocument(doc);
    const before = doc.cellCount;
    const { client, transport } = await connectMcpClient(api, 'host-test');
    try {
      const r = await ok(client, 'add_cell', { path: 'agent-edit.ipynb', cell_type: 'markdown', source: '## Added by an agent\nover HTTP' });
      assert.equal(r.store, 'editor');
      assert.equal(doc.cellCount, before + 1);
      assert.equal(doc.cellAt(r.cell_index).document.getText(), '## Added by an agent\nover HTTP');
      // Saved (jupyterMcp.saveAfterEdit), so the file has it too.
      await waitFor('the save', () => !doc.isDirty);
      assert.match(fs.readFileSync(file, 'utf8'), /Added by an agent/);
      await vscode.commands.executeCommand('undo');
      await waitFor('undo', () => doc.cellCount === before);
      const closed = await ok(client, 'read_notebook', { path: 'smoke.ipynb', format: 'outline' });
      assert.equal(closed.store, 'file');
    } finally {
      await transport.terminateSession();
      await client.close();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  test('the status bar shows the port and the connected clients', async () => {
    await waitFor('status text', () => api.statusBar.text.includes(`MCP :${api.server.port}`));
    const { client, transport } = await connectMcpClient(api, 'host-test');
    await waitFor('1 client', () => /· 1 client ·/.test(api.statusBar.text));
    await transport.terminateSession();
    await client.close();
    await waitFor('0 clients', () => /· 0 clients ·/.test(api.statusBar.text));
  });

  test('Configure Roo Code writes .roo/mcp.json, merging with what is there', async () => {
    const dir = path.join(root, '.roo');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mcp.json'), JSON.stringify({ mcpServers: { other: { command: 'x' } } }));
    const written = await vscode.commands.executeCommand<string>('jupyterMcp.configureRoo');
    assert.equal(written, path.join(dir, 'mcp.json'));
    const cfg = JSON.parse(fs.readFileSync(written, 'utf8'));
    assert.deepEqual(cfg.mcpServers.other, { command: 'x' });
    assert.equal(cfg.mcpServers.jupyter.type, 'streamable-http');
    assert.equal(cfg.mcpServers.jupyter.url, api.server.url);
    // The token is named, not written (see security.test.ts).
    assert.equal(cfg.mcpServers.jupyter.headers.Authorization, 'Bearer ${env:JUPYTER_MCP_VSCODE_TOKEN}');
    assert.ok(cfg.mcpServers.jupyter.timeout >= 300);
  });

  test('Stop and Start Server commands stop and restart it', async () => {
    await vscode.commands.executeCommand('jupyterMcp.stopServer');
    assert.equal(api.server.state, 'stopped');
    assert.match(api.statusBar.text, /MCP stopped/);
    const url = await vscode.commands.executeCommand<string>('jupyterMcp.startServer');
    assert.equal(api.server.state, 'running');
    assert.equal(url, api.server.url);
    const health = await fetch(url.replace(/\/mcp$/, '/healthz'));
    assert.equal(health.status, 200);
  });

  test('Copy Client Configuration puts a ready configuration with the token on the clipboard', async () => {
    const text = await vscode.commands.executeCommand<string>('jupyterMcp.copyClientConfig', 'Claude Code (command line)');
    assert.equal(text, `claude mcp add --transport http jupyter ${api.server.url} --header "Authorization: Bearer ${await api.server.authToken()}"`);
    assert.equal(await vscode.env.clipboard.readText(), text);
  });

  test('Show Connection Info reports URL, port and sessions', async () => {
    const shown = vscode.commands.executeCommand<{ url: string; port: number; sessions: number }>('jupyterMcp.showConnectionInfo');
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    const info = await shown;
    assert.deepEqual(info, { url: api.server.url, port: api.server.port, sessions: api.server.sessions });
  });

  test('Restart Server keeps the token, so configured clients keep working', async () => {
    const token = await api.server.authToken();
    const url = await vscode.commands.executeCommand<string>('jupyterMcp.restartServer');
    assert.equal(api.server.state, 'running');
    assert.equal(url, api.server.url);
    const { client, transport } = await connectClient(api.server.url!, 'host-test', bearer(token));
    assert.ok((await client.listTools()).tools.length > 10);
    await transport.terminateSession();
    await client.close();
    await vscode.commands.executeCommand('jupyterMcp.showLog');
  });

  suite('with a real Jupyter server', () => {
    let jupyter: TestJupyter;
    suiteSetup(async function () {
      this.timeout(90_000);
      jupyter = await startJupyterServer();
    });
    suiteTeardown(async function () {
      this.timeout(30_000);
      await vscode.commands.executeCommand('jupyterMcp.disconnectJupyter');
      await jupyter?.stop();
    });

    test('before connecting, kernel tools say how to connect', async () => {
      const { client, transport } = await connectMcpClient(api, 'host-test');
      const r = (await client.callTool({ name: 'start_kernel', arguments: {} })) as { isError?: boolean; content: { text: string }[] };
      assert.equal(r.isError, true);
      assert.match(r.content[0].text, /Connect to Jupyter Server/);
      await transport.terminateSession();
      await client.close();
    });

    test('Connect to Jupyter Server checks the token before saving it', async function () {
      this.timeout(60_000);
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('jupyterMcp.connectJupyter', jupyter.url, 'wrong-token')), /refused the token/);
      assert.equal(vscode.workspace.getConfiguration('jupyterMcp').get('jupyterServerUrl'), '');
      const connected = await vscode.commands.executeCommand<boolean>('jupyterMcp.connectJupyter', jupyter.url, jupyter.token);
      assert.equal(connected, true);
      assert.equal(vscode.workspace.getConfiguration('jupyterMcp').get('jupyterServerUrl'), jupyter.url);
      // The token is in secret storage, never in settings.
      const settingsText = JSON.stringify(vscode.workspace.getConfiguration('jupyterMcp'));
      assert.ok(!settingsText.includes(jupyter.token));
    });

    test('kernel commands start, restart and stop a kernel, and the status bar follows', async function () {
      this.timeout(90_000);
      const id = await vscode.commands.executeCommand<string>('jupyterMcp.startKernel', 'python3');
      assert.ok(id);
      await waitFor('1 kernel in the status bar', () => /1 kernel/.test(api.statusBar.text), 20_000);
      // An agent runs a long cell: the status bar shows the kernel busy while it runs.
      const { client, transport } = await connectMcpClient(api, 'host-test');
      const run = ok(client, 'execute_cell', { kernel_id: id, code: 'import time; time.sleep(4); print("done")' });
      await waitFor('busy', () => /busy/.test(api.statusBar.text), 10_000);
      const r = await run;
      assert.equal(r.status, 'ok');
      await waitFor('idle again', () => /idle/.test(api.statusBar.text), 10_000);
      assert.equal(await vscode.commands.executeCommand('jupyterMcp.interruptKernel', id), true);
      assert.equal(await vscode.commands.executeCommand('jupyterMcp.restartKernel', id), true);
      assert.equal(await vscode.commands.executeCommand('jupyterMcp.stopKernel', id), true);
      await waitFor('no kernels', () => /no kernels/.test(api.statusBar.text), 20_000);
      await transport.terminateSession();
      await client.close();
    });

    test('the maxWait and resultShape settings apply to the running server at once, its kernels kept', async function () {
      this.timeout(90_000);
      const config = vscode.workspace.getConfiguration('jupyterMcp');
      const token = await api.server.authToken();
      const listNotebooks = async () => {
        const { client, transport } = await connectClient(api.server.url!, 'host-test', bearer(token));
        try {
          return (await client.callTool({ name: 'list_notebooks', arguments: {} })) as { structuredContent?: unknown };
        } finally {
          await transport.terminateSession().catch(() => undefined);
          await client.close();
        }
      };
      assert.ok((await listNotebooks()).structuredContent, 'structuredContent by default');
      const id = await vscode.commands.executeCommand<string>('jupyterMcp.startKernel', 'python3');
      const url = api.server.url;
      try {
        await config.update('maxWait', 1, vscode.ConfigurationTarget.Global);
        await config.update('resultShape', 'text', vscode.ConfigurationTarget.Global);
        await waitFor('results in text only', async () => !(await listNotebooks()).structuredContent, 30_000);
        // Applied in place: same server, and the kernel the agent started is still there (a restart
        // would have shut it down).
        assert.equal(api.server.url, url);
        const { client, transport } = await connectClient(api.server.url!, 'host-test', bearer(token));
        try {
          // Capped at 1 s by the setting (the VS Code default would wait 240 s): "running", as text.
          const r = (await client.callTool({ name: 'execute_cell', arguments: { kernel_id: id, code: 'import time; time.sleep(4); print("done")' } })) as { structuredContent?: unknown; content: { text?: string }[] };
          assert.equal(r.structuredContent, undefined);
          const text = r.content.map((c) => c.text ?? '').join('\n');
          assert.match(text, /Still running after \d+ s/);
          const runId = /wait_for_run \{"run_id": "(run-[0-9a-f]+)"\}/.exec(text)?.[1];
          assert.ok(runId, text);
          // wait_for_run is capped too (1 s a look): follow the run to its end.
          let seen = text;
          for (let i = 0; i < 30 && !/done/.test(seen); i++) {
            const look = (await client.callTool({ name: 'wait_for_run', arguments: { run_id: runId, wait_seconds: 30 } })) as { content: { text?: string }[] };
            seen = look.content.map((c) => c.text ?? '').join('\n');
          }
          assert.match(seen, /done/);
        } finally {
          await transport.terminateSession().catch(() => undefined);
          await client.close();
        }
      } finally {
        await config.update('maxWait', undefined, vscode.ConfigurationTarget.Global);
        await config.update('resultShape', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('structuredContent again', async () => !!(await listNotebooks()).structuredContent, 30_000);
        await vscode.commands.executeCommand('jupyterMcp.stopKernel', id);
      }
    });

    test('jupyterMcp.maxResultChars: empty by default (per client), set it applies at once to every client, cleared the client budget is back', async function () {
      this.timeout(90_000);
      const config = vscode.workspace.getConfiguration('jupyterMcp');
      assert.equal(config.get('maxResultChars'), null, 'empty by default: each client gets its own budget');
      const token = await api.server.authToken();
      const id = await vscode.commands.executeCommand<string>('jupyterMcp.startKernel', 'python3');
      // 20,000 printed lines: the answer is as long as the budget lets it be.
      const printed = async () => {
        const { client, transport } = await connectClient(api.server.url!, 'host-test', bearer(token));
        try {
          const r = (await client.callTool({ name: 'execute_cell', arguments: { kernel_id: id, code: 'for i in range(20000):\n    print(f"step {i} loss={1/(i+1):.6f}")' } })) as { structuredContent?: unknown };
          return Buffer.byteLength(JSON.stringify(r.structuredContent));
        } finally {
          await transport.terminateSession().catch(() => undefined);
          await client.close();
        }
      };
      try {
        // This test's client is not in the per-client table: 40,000.
        assert.ok((await printed()) > 8000, 'the default budget of other clients');
        await config.update('maxResultChars', 5000, vscode.ConfigurationTarget.Global);
        await waitFor('the set budget applies', async () => (await printed()) <= 5000, 30_000);
      } finally {
        await config.update('maxResultChars', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the client budget again', async () => (await printed()) > 8000, 30_000);
        await vscode.commands.executeCommand('jupyterMcp.stopKernel', id);
      }
    });

    test('Disconnect forgets the server and its token', async () => {
      await vscode.commands.executeCommand('jupyterMcp.disconnectJupyter');
      assert.equal(vscode.workspace.getConfiguration('jupyterMcp').get('jupyterServerUrl'), '');
      assert.equal(api.server.current?.jupyterUrl, undefined);
    });
  });
});
