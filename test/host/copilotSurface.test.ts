// Resources, prompts and the MCP Apps viewer in VS Code's real chat (GitHub Copilot's agent mode,
// VS Code 1.139), driven by the scripted model of test/host/fixtures/scripted-model (which records
// what it is given): a notebook attached from VS Code's MCP resource picker reaches the model as its
// Markdown view; an MCP prompt is a slash command (/mcp.Jupyter_MCP.explain_notebook) whose argument
// VS Code completes from the server, and the model gets its messages; and a show_output call renders
// the output viewer (an MCP App, chat.mcp.apps.enabled is on by default) in the chat, with a Plotly
// figure drawn by the bundled plotly.js.
// Run alone: `node esbuild.js && node --import tsx --test test/host/copilotSurface.test.ts`
// JUPYTER_MCP_UPDATE_SCREENSHOTS=1 also writes media/screenshot-mcp-app-plotly.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { hostPaths, hostUnavailable, type PwPage } from './harness';
import { startChatHost, until, VENDOR, type ChatHost } from './scriptedChat';
import { choose, evaluate, QUICK_INPUT, quickPickRows as rows } from './workbench';

const ROOT = path.resolve(__dirname, '..', '..');

function copilotMissing(): string | undefined {
  try {
    const ext = path.join(path.dirname(hostPaths().codeServerEntry), '..', '..', 'lib', 'vscode', 'extensions', 'copilot', 'package.json');
    return fs.existsSync(ext) ? undefined : `the host has no built-in copilot extension (${ext})`;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = hostUnavailable() ?? copilotMissing();

/** The frame of a webview whose document matches `probe` (an expression that is truthy when found). */
async function webviewFrame(page: PwPage, probe: string, timeoutMs: number): Promise<{ evaluate<T>(js: string): Promise<T> }> {
  return until(
    'the MCP App view in the chat',
    async () => {
      for (const f of page.frames().slice(1)) {
        if (await f.evaluate<boolean>(`!!(${probe})`).catch(() => false)) return f;
      }
      return undefined;
    },
    timeoutMs,
  );
}

test('VS Code chat: a notebook attached from the resource picker, a prompt as a slash command, and the output viewer drawing a Plotly figure', { skip, timeout: 900_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jmcp-copilot-surface-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  for (const f of ['analysis.ipynb', 'charts.ipynb']) fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', f), path.join(workspace, f));
  const step = (s: string): void => void process.stderr.write(`  [surface] ${s}\n`);
  let chat: ChatHost | undefined;
  let leftover: number[] = [];
  try {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run node esbuild.js');
    chat = await startChatHost({ tmp, workspace, log: step });
    const { page } = chat;

    // ---- The output viewer: the model calls show_output; VS Code renders the MCP App under the call ----
    const viewer = await chat.play('viewer', [{ tool: 'show_output', input: { path: 'charts.ipynb', cell_id: 'fee63ca3' } }, { text: 'Shown.' }]);
    const offered = chat.events().find((e) => e.type === 'request' && e.scene === 'viewer')?.tools ?? [];
    const frame = await webviewFrame(page, `document.querySelectorAll('.plot svg.main-svg g.point').length === 4`, 180_000);
    step('the MCP App view drew the Plotly figure');
    await t.test('show_output is offered to the model (VS Code declares MCP Apps) and its result says what the person sees', () => {
      assert.ok(offered.includes('mcp_jupyter_mcp_show_output'), offered.join(', '));
      const r = viewer.find((e) => e.type === 'result');
      assert.ok(r, 'no show_output result reached the model');
      const text = (r.parts ?? []).map((p) => p.value ?? '').join('');
      assert.match(text, /Shown to the person in the chat's output viewer/);
    });
    await t.test('the view in the chat drew the figure with the bundled plotly.js: four bars and the title', async () => {
      assert.match(await frame.evaluate<string>(`document.querySelector('.gtitle')?.textContent ?? ''`), /Sales by region/);
      assert.match(await frame.evaluate<string>(`document.querySelector('.caption')?.textContent ?? ''`), /charts\.ipynb · cell 1 · output 0 · Plotly figure/);
    });
    // The view in the chat, the chat widened as a person would, the notice about utility models closed.
    await page.locator('.chat-input-notification-dismiss').first().click({ timeout: 5_000 }).catch(() => undefined);
    const sash = await evaluate(page, `(() => { const r = document.querySelector('.part.auxiliarybar')?.getBoundingClientRect(); return r ? [r.left, r.top + r.height / 2] : null; })()`, null as [number, number] | null);
    if (sash) {
      await page.mouse.move(sash[0] - 1, sash[1]);
      await page.mouse.down();
      await page.mouse.move(sash[0] - 420, sash[1], { steps: 8 });
      await page.mouse.up();
    }
    await page.waitForTimeout(1_500);
    const shot = process.env.JUPYTER_MCP_UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'media', 'screenshot-mcp-app-plotly.png') : path.join(os.tmpdir(), 'jmcp-mcp-app-plotly.png');
    await page.screenshot({ path: shot });
    step(`screenshot: ${shot}`);

    // ---- A notebook attached from VS Code's MCP resource picker ----
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await page.waitForSelector(`${QUICK_INPUT} input`, { timeout: 30_000 });
    await page.keyboard.type('MCP: Browse Resources', { delay: 10 });
    await choose(page, /MCP: Browse Resources/);
    await until('analysis.ipynb in the picker', async () => (await rows(page)).some((l) => l.startsWith('analysis.ipynb')), 120_000);
    // Each row has an "attach to chat" button (shown on hover).
    const row = page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: /^analysis\.ipynb/ }).first();
    await row.click({ timeout: 30_000, position: { x: 40, y: 8 }, trial: true } as never).catch(() => undefined);
    await page.locator(`${QUICK_INPUT} .monaco-list-row:has-text("analysis.ipynb") .action-label.codicon-attach`).first().click({ timeout: 30_000, force: true } as never);
    await until('the attachment in the chat input', async () => /analysis\.ipynb/.test(await evaluate(page, `document.querySelector('.interactive-input-part .chat-attachments-container, .chat-input-container .chat-attached-context')?.textContent ?? ''`, '')), 60_000).catch(() => step('attachment pill not found by selector; going on'));
    const attached = await chat.play('attach', [{ text: 'Read it.' }]);
    await t.test("the attached notebook reaches the model as its Markdown view", () => {
      const req = attached.find((e) => e.type === 'request');
      assert.ok(req, 'no request reached the model');
      assert.match(req.userText ?? '', /## Cell 6 · code · id ce7596f2/, (req.userText ?? '').slice(0, 2000));
      assert.match(req.userText ?? '', /notebook:\/\/\/analysis\.ipynb\/cells\/47d71fb2\/outputs\/0\.png/);
    });

    // ---- A prompt as a slash command, its argument completed by the server ----
    await chat.hand({ command: 'workbench.action.chat.open', args: [{ query: '', isPartialQuery: true, mode: 'agent', modelSelector: { vendor: VENDOR } }] });
    await chat.hand({ command: 'workbench.action.chat.focusInput' });
    await page.keyboard.type('/mcp.Jupyter_MCP.expl', { delay: 30 });
    await until('the prompt in the slash suggestions', async () => /explain_notebook/.test(await evaluate(page, `[...document.querySelectorAll('.suggest-widget .monaco-list-row')].map((r) => r.textContent).join('|')`, '')), 60_000);
    step(`slash suggestions: ${await evaluate(page, `[...document.querySelectorAll('.suggest-widget .monaco-list-row')].map((r) => r.textContent).join(' | ')`, '')}`);
    await page.keyboard.press('Enter');
    // VS Code asks for the argument, offering the server's completions.
    await page.waitForSelector(`${QUICK_INPUT} input`, { timeout: 60_000 });
    await page.keyboard.type('ana', { delay: 30 });
    await choose(page, /^analysis\.ipynb/, 60_000);
    // (Monaco renders spaces as no-break spaces.)
    await until('the prompt in the chat input', async () => /Explain\sthe\sJupyter\snotebook/.test(await evaluate(page, `[...document.querySelectorAll('.interactive-input-part .view-lines')].map((e) => e.textContent).join('|')`, '')), 60_000);
    const before = chat.events().length;
    await chat.hand({ command: 'workbench.action.chat.focusInput' });
    await page.keyboard.press('Enter');
    const req = await until('the prompt to reach the model', () => chat!.events().slice(before).find((e) => e.type === 'request' && /Explain the Jupyter notebook/.test(e.userText ?? '')), 120_000);
    await t.test('the prompt reaches the model: its instruction and the notebook it attached', () => {
      assert.match(req.userText ?? '', /Explain the Jupyter notebook analysis\.ipynb/);
      assert.match(req.userText ?? '', /## Cell 2 · code · id cb7e3919/);
    });
  } catch (e) {
    if (chat) {
      const shot = path.join(os.tmpdir(), 'jmcp-copilot-surface-failure.png');
      await chat.page.screenshot({ path: shot }).catch(() => undefined);
      process.stderr.write(`  [surface] failed; picture: ${shot}\n--- host log ---\n${[...chat.host.output, ...chat.host.log].slice(-60).join('\n')}\n`);
    }
    throw e;
  } finally {
    if (chat) leftover = await chat.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(leftover, [], 'processes of the host were left running');
});
