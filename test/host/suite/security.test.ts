// Issue #11 items 13 and 14 (and #18 items 3 and 14), in a REAL VS Code host: the Jupyter server URL cannot be repointed by
// a workspace's .vscode/settings.json; the access token is per workspace, rotates (old token
// refused at once, Copilot's definition and Roo's entry follow), is never written into
// .roo/mcp.json, and is not handed to a program squatting the configured port.
// Roo Code itself cannot be installed here: where the tests need its behaviour, `rooExpand` does
// what its McpHub does before connecting (RooCodeInc/Roo-Code src/utils/config.ts
// injectVariables: `${env:NAME}` from the extension host's process.env, unknown names left as is).
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JupyterMcpApi } from '../../../src/extension';
import { definition } from '../../../src/ui/mcpProvider';
import { TOKEN_ENV } from '../../../src/util/clientConfig';
import { connectClient, waitFor } from './helpers';

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

let api: JupyterMcpApi;
let root: string;

function rooExpand<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/\$\{env:(\w+)\}/g, (m, name: string) => process.env[name] ?? m)) as T;
}

/** Lists the tools with these headers; rejects when the server refuses them. */
async function listToolsWith(url: string, headers: Record<string, string>): Promise<number> {
  const { client, transport } = await connectClient(url, 'host-security-test', headers);
  try {
    return (await client.listTools()).tools.length;
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  }
}

function rooFile(): string {
  return path.join(root, '.roo', 'mcp.json');
}

suite('Security of the extension (issue #11 items 13, 14)', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    api = await vscode.extensions.getExtension<JupyterMcpApi>(EXTENSION_ID)!.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await waitFor('the server to run', () => api.server.state === 'running');
  });

  test('a workspace .vscode/settings.json cannot repoint jupyterServerUrl (the token would follow it)', async function () {
    this.timeout(30_000);
    const file = vscode.Uri.file(path.join(root, '.vscode', 'settings.json'));
    const evil = 'http://127.0.0.1:9/collect';
    // What a cloned repository ships; editor.tabSize only shows when VS Code has read the file.
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(JSON.stringify({ 'editor.tabSize': 7, 'jupyterMcp.jupyterServerUrl': evil })));
    try {
      await waitFor('VS Code to read the workspace settings', () => vscode.workspace.getConfiguration('editor').inspect('tabSize')?.workspaceValue === 7);
      await vscode.commands.executeCommand('jupyterMcp.restartServer');
      await waitFor('the server to run', () => api.server.state === 'running');
      assert.equal(api.server.jupyterUrl, undefined, 'the workspace value was used');
      assert.notEqual(api.server.current?.jupyterUrl, evil);
      // Writing it into the workspace through the API is refused as well (machine-scoped setting).
      await assert.rejects(Promise.resolve(vscode.workspace.getConfiguration('jupyterMcp').update('jupyterServerUrl', evil, vscode.ConfigurationTarget.Workspace)));
      assert.equal(vscode.workspace.getConfiguration('jupyterMcp').inspect('jupyterServerUrl')?.workspaceValue, undefined);
    } finally {
      await vscode.workspace.fs.delete(file);
    }
  });

  test('the token is kept per workspace in SecretStorage', () => {
    const ws = vscode.workspace.workspaceFile ?? vscode.workspace.workspaceFolders![0].uri;
    const hash = createHash('sha256').update(ws.toString()).digest('hex').slice(0, 16);
    assert.equal(api.server.tokenStorageKey, `jupyterMcp.authToken:${hash}`);
  });

  test('#18 item 3: without our entry in .roo/mcp.json (or .cursor/mcp.json) the token is not in the extension host\'s environment (processes started from it would inherit it)', async function () {
    this.timeout(60_000);
    const files = [rooFile(), path.join(root, '.cursor', 'mcp.json')];
    const saved = files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : undefined));
    for (const f of files) fs.rmSync(f, { force: true });
    try {
      await vscode.commands.executeCommand('jupyterMcp.restartServer');
      await waitFor('the server to run', () => api.server.state === 'running');
      assert.equal(process.env[TOKEN_ENV], undefined, 'the token is in process.env with no Roo entry');
      // A child started now (as other extensions start kernels and tools) sees no token.
      const { execFileSync } = await import('node:child_process');
      const env = execFileSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], { env: process.env }).toString();
      assert.ok(!env.includes(await api.server.authToken()), 'a child process received the token');
    } finally {
      files.forEach((f, i) => {
        if (!saved[i]) return;
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, saved[i]!);
      });
    }
  });

  test('#18 item 14: a workspace cannot turn autoStart on or skip saveAfterEdit; its time-out is clamped', async function () {
    this.timeout(30_000);
    const file = vscode.Uri.file(path.join(root, '.vscode', 'settings.json'));
    const { readSettings } = await import('../../../src/ui/settings');
    await vscode.workspace.fs.writeFile(
      file,
      new TextEncoder().encode(JSON.stringify({ 'editor.tabSize': 5, 'jupyterMcp.autoStart': false, 'jupyterMcp.saveAfterEdit': false, 'jupyterMcp.executionTimeout': 1e12, 'jupyterMcp.maxWait': 5 })),
    );
    try {
      await waitFor('VS Code to read the workspace settings', () => vscode.workspace.getConfiguration('editor').inspect('tabSize')?.workspaceValue === 5);
      const s = readSettings();
      assert.equal(s.autoStart, true, 'autoStart came from the workspace');
      assert.equal(s.saveAfterEdit, true, 'saveAfterEdit came from the workspace');
      assert.equal(s.executionTimeout, 86_400, 'executionTimeout was not clamped');
      // A project may tune how long calls wait.
      assert.equal(s.maxWait, 5);
      for (const key of ['autoStart', 'saveAfterEdit']) {
        await assert.rejects(Promise.resolve(vscode.workspace.getConfiguration('jupyterMcp').update(key, false, vscode.ConfigurationTarget.Workspace)), Error, `${key} was written to the workspace`);
      }
    } finally {
      await vscode.workspace.fs.delete(file);
      // The settings change is applied to the running server: let that end before the next test.
      await waitFor('VS Code to drop the workspace settings', () => vscode.workspace.getConfiguration('editor').inspect('tabSize')?.workspaceValue === undefined);
      await waitFor('the server to run', () => api.server.state === 'running');
    }
  });

  test('Configure Roo Code writes no token: the entry names a variable this window sets while its server runs', async () => {
    const token = await api.server.authToken();
    const written = await vscode.commands.executeCommand<string>('jupyterMcp.configureRoo');
    assert.equal(written, rooFile());
    const text = fs.readFileSync(rooFile(), 'utf8');
    assert.ok(!text.includes(token), '.roo/mcp.json holds the token');
    const entry = JSON.parse(text).mcpServers.jupyter;
    assert.equal(entry.headers.Authorization, `Bearer \${env:${TOKEN_ENV}}`);
    assert.equal(process.env[TOKEN_ENV], token);
    // As Roo Code connects: expanded from the extension host's environment, it works.
    const expanded = rooExpand(entry);
    assert.ok((await listToolsWith(expanded.url, expanded.headers)) > 10);
  });

  test('while the server is stopped nothing in the window expands to the token', async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('jupyterMcp.stopServer');
    try {
      assert.equal(process.env[TOKEN_ENV], undefined);
      const entry = rooExpand(JSON.parse(fs.readFileSync(rooFile(), 'utf8')).mcpServers.jupyter);
      assert.equal(entry.headers.Authorization, `Bearer \${env:${TOKEN_ENV}}`);
    } finally {
      await vscode.commands.executeCommand('jupyterMcp.startServer');
    }
    assert.equal(process.env[TOKEN_ENV], await api.server.authToken());
  });

  test('Rotate Token: the old token is refused at once; Copilot\'s definition, Roo\'s entry and the variable carry the new one', async function () {
    this.timeout(60_000);
    const old = await api.server.authToken();
    const before = fs.statSync(rooFile()).mtimeMs;
    const generation = api.server.tokenGeneration;
    await vscode.commands.executeCommand('jupyterMcp.rotateToken');
    await waitFor('the server to run', () => api.server.state === 'running');
    const fresh = await api.server.authToken();
    assert.notEqual(fresh, old);
    assert.equal(api.server.tokenGeneration, generation + 1);
    await assert.rejects(listToolsWith(api.server.url!, { Authorization: `Bearer ${old}` }), /401|Unauthorized|token/i);
    const def = await definition(api.server);
    assert.equal(def.headers.Authorization, `Bearer ${fresh}`);
    assert.ok((await listToolsWith(def.uri.toString(), def.headers)) > 10);
    assert.equal(process.env[TOKEN_ENV], fresh);
    // Roo's file was rewritten (so Roo reconnects with the new token), still without a secret.
    assert.ok(fs.statSync(rooFile()).mtimeMs > before, '.roo/mcp.json was not refreshed');
    const text = fs.readFileSync(rooFile(), 'utf8');
    assert.ok(!text.includes(fresh) && !text.includes(old));
  });

  test('a program squatting the configured port never receives the current token', async function () {
    this.timeout(60_000);
    // The squatter records every Authorization header it is sent.
    const seen: string[] = [];
    const squatter = http.createServer((req, res) => {
      seen.push(String(req.headers.authorization ?? ''));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const squatted = (squatter.address() as { port: number }).port;
    const config = vscode.workspace.getConfiguration('jupyterMcp');
    const previousPort = config.inspect<number>('port')?.globalValue;
    try {
      const copied = await api.server.authToken(); // e.g. pasted into a client configured for that port
      await config.update('port', squatted, vscode.ConfigurationTarget.Global);
      await waitFor('the start on the squatted port to fail', () => api.server.state === 'failed');
      assert.equal(process.env[TOKEN_ENV], undefined, 'the token is offered while no server of ours listens');
      // "Use a Free Port" (the warning's button): a new port and a new token.
      const rt = await api.server.useFreePort();
      assert.ok(rt && rt.port !== squatted);
      const current = await api.server.authToken();
      assert.notEqual(current, copied);
      // Roo's entry now points at our port, and expands to the current token there.
      const entry = rooExpand(JSON.parse(fs.readFileSync(rooFile(), 'utf8')).mcpServers.jupyter);
      assert.equal(entry.url, rt.url);
      assert.ok((await listToolsWith(entry.url, entry.headers)) > 10);
      // A client still configured with the old port and token hands the squatter a dead token.
      await fetch(`http://127.0.0.1:${squatted}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${copied}` }, body: '{}' });
      await assert.rejects(listToolsWith(rt.url, { Authorization: `Bearer ${copied}` }), /401|Unauthorized|token/i);
      assert.ok(!seen.some((h) => h.includes(current)), 'the squatter received the current token');
    } finally {
      await config.update('port', previousPort, vscode.ConfigurationTarget.Global);
      await new Promise((r) => squatter.close(r));
      await waitFor('the server to run again', async () => api.server.state === 'running' || (api.server.state === 'failed' && (await api.server.useFreePort()) !== undefined), 30_000);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
