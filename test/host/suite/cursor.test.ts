// Cursor (issue #19 item 4), in a REAL VS Code host. Cursor cannot be installed on the test machines,
// so its API is a STAND-IN here: an object with the shape Cursor documents for
// vscode.cursor.mcp (registerServer({ name, server: { url, headers } }) / unregisterServer(name),
// cursor.com/docs/extension-api) that records the calls, handed to registerCursorServer — the
// function the extension calls at activation with the API it finds, or none in VS Code. What runs
// for real: the extension's ServerController (start, stop, token rotation) and the Configure Cursor
// command writing .cursor/mcp.json.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JupyterMcpApi } from '../../../src/extension';
import { cursorMcpApi, registerCursorServer, type CursorMcpApi } from '../../../src/ui/cursor';
import { TOKEN_ENV } from '../../../src/util/clientConfig';
import { waitFor } from './helpers';

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';

let api: JupyterMcpApi;
let root: string;

type Call = { register?: { name: string; url: string; authorization?: string }; unregister?: string };

/** Records what the extension asks of Cursor, as Cursor's API would receive it. */
function standIn(): CursorMcpApi & { calls: Call[]; live(): Call['register'] | undefined } {
  const calls: Call[] = [];
  let live: Call['register'];
  return {
    calls,
    live: () => live,
    registerServer(config) {
      assert.equal(live, undefined, 'registered twice without unregistering');
      live = { name: config.name, url: config.server.url, authorization: config.server.headers?.Authorization };
      calls.push({ register: live });
    },
    unregisterServer(name) {
      calls.push({ unregister: name });
      if (live?.name === name) live = undefined;
    },
  };
}

const cursorFile = (): string => path.join(root, '.cursor', 'mcp.json');

suite('Cursor: registration through its API (a stand-in) and .cursor/mcp.json', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    api = await vscode.extensions.getExtension<JupyterMcpApi>(EXTENSION_ID)!.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await waitFor('the server to run', () => api.server.state === 'running');
  });

  suiteTeardown(() => {
    fs.rmSync(path.join(root, '.cursor'), { recursive: true, force: true });
  });

  test('VS Code has no vscode.cursor: nothing is registered there, and the MCP provider is unchanged', () => {
    assert.equal(cursorMcpApi(), undefined);
    // The no-op registration disposes cleanly.
    registerCursorServer(api.server).dispose();
  });

  test('where the API exists the running server is registered with its URL and token, and follows stop, start and token rotation', async function () {
    this.timeout(60_000);
    const cursor = standIn();
    const reg = registerCursorServer(api.server, cursor);
    try {
      const first = await waitFor('the registration', () => cursor.live());
      assert.deepEqual(first, { name: 'jupyter', url: api.server.url, authorization: `Bearer ${await api.server.authToken()}` });

      await vscode.commands.executeCommand('jupyterMcp.stopServer');
      await waitFor('the unregistration on stop', () => cursor.live() === undefined);
      await vscode.commands.executeCommand('jupyterMcp.startServer');
      const again = await waitFor('the registration after start', () => cursor.live());
      assert.equal(again.url, api.server.url);

      const old = await api.server.authToken();
      await vscode.commands.executeCommand('jupyterMcp.rotateToken');
      const rotated = await waitFor('the registration with the new token', () => (cursor.live()?.authorization !== `Bearer ${old}` ? cursor.live() : undefined));
      assert.equal(rotated.authorization, `Bearer ${await api.server.authToken()}`);
      assert.equal(rotated.url, api.server.url);
      // Each change unregistered the old entry before registering the new one.
      assert.ok(cursor.calls.filter((c) => c.register).length >= 3, JSON.stringify(cursor.calls));
    } finally {
      reg.dispose();
    }
    await waitFor('the unregistration on dispose', () => cursor.live() === undefined);
    assert.deepEqual(cursor.calls[cursor.calls.length - 1], { unregister: 'jupyter' });
  });

  test('Configure Cursor writes .cursor/mcp.json with no token, merged with what is there', async () => {
    fs.mkdirSync(path.dirname(cursorFile()), { recursive: true });
    fs.writeFileSync(cursorFile(), JSON.stringify({ mcpServers: { other: { command: 'x', args: [] } } }));
    const token = await api.server.authToken();
    const written = await vscode.commands.executeCommand<string>('jupyterMcp.configureCursor');
    assert.equal(written, cursorFile());
    const text = fs.readFileSync(cursorFile(), 'utf8');
    assert.ok(!text.includes(token), '.cursor/mcp.json holds the token');
    const cfg = JSON.parse(text);
    assert.deepEqual(cfg.mcpServers.other, { command: 'x', args: [] });
    // Cursor's entry shape: url and headers; ${env:NAME} is expanded by Cursor (cursor.com/docs/mcp).
    assert.deepEqual(cfg.mcpServers.jupyter, { url: api.server.url, headers: { Authorization: `Bearer \${env:${TOKEN_ENV}}` } });
    assert.equal(process.env[TOKEN_ENV], token);
  });

  test('at each start the entry is pointed at the server again; an entry the person wrote, or a file that is not JSON, is left alone', async function () {
    this.timeout(60_000);
    const restart = async (): Promise<void> => {
      await vscode.commands.executeCommand('jupyterMcp.restartServer');
      await waitFor('the server to run', () => api.server.state === 'running', 30_000);
    };
    const ours = { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: `Bearer \${env:${TOKEN_ENV}}` } };
    fs.writeFileSync(cursorFile(), JSON.stringify({ mcpServers: { other: { url: 'https://example.invalid/mcp' }, jupyter: ours } }));
    await restart();
    const cfg = JSON.parse(fs.readFileSync(cursorFile(), 'utf8'));
    assert.equal(cfg.mcpServers.jupyter.url, api.server.url);
    assert.deepEqual(cfg.mcpServers.other, { url: 'https://example.invalid/mcp' });

    const theirs = JSON.stringify({ mcpServers: { jupyter: { command: 'my-own-jupyter-server', args: [] } } });
    fs.writeFileSync(cursorFile(), theirs);
    await restart();
    assert.equal(fs.readFileSync(cursorFile(), 'utf8'), theirs);

    fs.writeFileSync(cursorFile(), '{ "mcpServers": { ');
    assert.equal(await vscode.commands.executeCommand('jupyterMcp.configureCursor'), undefined);
    assert.equal(fs.readFileSync(cursorFile(), 'utf8'), '{ "mcpServers": { ');
  });
});
