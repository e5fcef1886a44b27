// VS Code's OWN MCP client (the one Copilot agent mode uses) against the server this extension
// registers with `vscode.lm.registerMcpServerDefinitionProvider`: in a real VS Code host, the person
// runs "MCP: List Servers", picks "Jupyter MCP" and starts it; VS Code resolves the definition (URL
// and bearer token from the extension), connects, and lists the tools. Checked where a person sees
// it: our status bar counts VS Code as a client, and VS Code's MCP log for the server says how many
// tools it found. The chat features the other host tests switch off are switched on here.
// Run alone: `node esbuild.js && node --import tsx --test test/host/vscodeMcpClient.test.ts`
// JUPYTER_MCP_UPDATE_SCREENSHOTS=1 also writes media/screenshot-vscode-mcp-client.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { hostUnavailable, startHost, until, waitForFile, type PwPage, type RunningHost } from './harness';
import { choose, evaluate, palette, QUICK_INPUT, quickPickRows as rows } from './workbench';

const ROOT = path.resolve(__dirname, '..', '..');
const skip = hostUnavailable();

const statusBar = (page: PwPage): Promise<string> =>
  evaluate(page, `[...document.querySelectorAll('.statusbar .statusbar-item')].map((e) => e.textContent).join(' | ')`, '');

test("VS Code's own MCP client starts the registered Jupyter MCP server and lists its tools", { skip, timeout: 600_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jmcp-vscode-mcp-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true });
  const portFile = path.join(tmp, 'mcp-port.json');
  let host: RunningHost | undefined;
  let leftover: number[] = [];
  const step = (s: string): void => void process.stderr.write(`  [vscode-mcp] ${s}\n`);
  try {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run node esbuild.js');
    host = await startHost({
      extensionPath: ROOT,
      workspace,
      env: { JUPYTER_MCP_PORT_FILE: portFile },
      timeoutMs: 180_000,
      userSettings: { 'chat.disableAIFeatures': false, 'chat.mcp.access': 'all', 'chat.mcp.autostart': 'never' },
    });
    const page = host.page;
    await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
    await waitForFile(portFile, 180_000);
    await until('our status bar item with 0 clients', async () => /0 clients/.test(await statusBar(page)));
    step('Jupyter MCP serving, 0 clients');

    await palette(page, /MCP: List Servers/, 'MCP: List Servers');
    step(`servers listed: ${JSON.stringify(await until('the server list', async () => { const r = await rows(page); return r.length ? r : undefined; }))}`);
    await choose(page, /Jupyter MCP/);
    step(`actions offered: ${JSON.stringify(await until('the server actions', async () => { const r = await rows(page); return r.some((l) => /Start/.test(l)) ? r : undefined; }))}`);
    await choose(page, /Start Server/);

    // VS Code resolved the definition (URL and token from our provider) and connected.
    await until('VS Code to connect (1 client in our status bar)', async () => /1 client\b/.test(await statusBar(page)), 120_000);
    step(`status bar: ${(await statusBar(page)).replace(/\s+/g, ' ').trim()}`);

    // VS Code's MCP log for the server says how many tools it discovered.
    await palette(page, /MCP: List Servers/, 'MCP: List Servers');
    await choose(page, /Jupyter MCP/);
    await choose(page, /Show Output/);
    const discovered = await until(
      'VS Code to report the tools it discovered',
      async () => {
        const textOut = await evaluate(page, `document.querySelector('.part.panel')?.textContent ?? ''`, '');
        // Monaco renders spaces as no-break spaces (\s matches them).
        return /Discovered\s(\d+)\stools/.exec(textOut)?.[1];
      },
      120_000,
    );
    step(`VS Code discovered ${discovered} tools`);
    assert.ok(Number(discovered) >= 17, `VS Code discovered ${discovered} tools; the server offers at least 17`);

    const shot = process.env.JUPYTER_MCP_UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'media', 'screenshot-vscode-mcp-client.png') : path.join(os.tmpdir(), 'jmcp-vscode-mcp-client.png');
    await page.screenshot({ path: shot });
    step(`screenshot: ${shot}`);
  } catch (e) {
    if (host) {
      const shot = path.join(os.tmpdir(), 'jmcp-vscode-mcp-failure.png');
      await host.page.screenshot({ path: shot }).catch(() => undefined);
      process.stderr.write(`  [vscode-mcp] failed; picture: ${shot}\n--- host log ---\n${[...host.output, ...host.log].slice(-60).join('\n')}\n`);
    }
    throw e;
  } finally {
    if (host) leftover = await host.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
});
