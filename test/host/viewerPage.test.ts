// The MCP Apps output viewer's HTML in a real browser (the chromium of the VS Code host), under the
// Content-Security-Policy VS Code 1.139 puts on MCP App views (the spec's restrictive default: no
// network, no eval), in a sandboxed iframe. The HOST here is a stand-in page: it answers
// ui/initialize, hands the view a real show_output result, and relays the view's resources/read to
// the real server through a real SDK client. What it checks is the view itself: a Plotly figure
// drawn by the bundled plotly.js, an image, a Vega-Lite spec shown as text, and a notebook's
// hostile HTML rebuilt without its scripts and handlers (no tools/call ever reaches the host). The
// real host rendering it in VS Code's chat is test/host/copilotSurface.test.ts.
// Run alone: `node --import tsx --test test/host/viewerPage.test.ts`
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { test, before, after } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hostPaths, hostUnavailable, until } from './harness';
import { startServer, tempWorkspace, type TestServer } from '../helpers/mcp';
import { APP_MIME, UI_EXTENSION, VIEWER_URI } from '../../src/server/apps/outputViewer';
import { emptyNotebook, makeCell, serializeNotebook } from '../../src/notebooks/nbformat';

const skip = hostUnavailable();

// The policy VS Code 1.139 injects into an MCP App's document when the resource asks for no domain
// (the MCP Apps spec's restrictive default).
const CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; media-src 'self' data:; frame-src 'none'; object-src 'none'; base-uri 'self';";

const HOST_PAGE = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="view" sandbox="allow-scripts" style="width:900px;height:640px;border:0"></iframe>
<script>
window.seen = []; window.size = null;
const view = document.getElementById('view');
const post = (m) => view.contentWindow.postMessage(Object.assign({ jsonrpc: '2.0' }, m), '*');
window.addEventListener('message', async (ev) => {
  if (ev.source !== view.contentWindow) return;
  const m = ev.data || {};
  window.seen.push(m.method || ('reply ' + m.id));
  if (m.method === 'ui/initialize') post({ id: m.id, result: { protocolVersion: '2026-01-26', hostInfo: { name: 'stand-in host', version: '1' }, hostCapabilities: { serverResources: {} }, hostContext: { theme: 'light', displayMode: 'inline' } } });
  else if (m.method === 'ui/notifications/initialized') { post({ method: 'ui/notifications/tool-input', params: { arguments: window.toolArgs } }); post({ method: 'ui/notifications/tool-result', params: window.toolResult }); }
  else if (m.method === 'resources/read') { try { post({ id: m.id, result: await window.mcpRead(m.params.uri) }); } catch (e) { post({ id: m.id, error: { code: -32000, message: String(e && e.message || e) } }); } }
  else if (m.method === 'ui/notifications/size-changed') window.size = m.params;
  else if (m.id !== undefined) post({ id: m.id, error: { code: -32601, message: 'Method not found: ' + m.method } });
});
window.show = (html) => { view.srcdoc = html; };
</script></body></html>`;

interface Frame {
  evaluate<T>(expression: string): Promise<T>;
}
interface Page {
  setContent(html: string): Promise<void>;
  exposeFunction(name: string, fn: (...args: unknown[]) => unknown): Promise<void>;
  evaluate<T>(expression: string): Promise<T>;
  frames(): Frame[];
  on(event: 'console', cb: (m: { type(): string; text(): string }) => void): void;
  screenshot(opts: { path: string }): Promise<Buffer>;
}

let ws: { root: string; cleanup(): void };
let server: TestServer;
let client: Client;
let browser: { newPage(opts?: Record<string, unknown>): Promise<Page>; close(): Promise<void> } | undefined;
let html: string;

before(async () => {
  if (skip) return;
  ws = tempWorkspace(['analysis.ipynb', 'charts.ipynb']);
  // A notebook whose HTML output tries to run script in the view, which could call tools through the host.
  const nb = emptyNotebook({ name: 'python3' });
  const cell = makeCell('code', 'display(HTML(...))', { id: 'hostile1' });
  cell.outputs = [
    {
      output_type: 'display_data',
      metadata: {},
      data: {
        'text/html':
          '<style>td{color:red}</style><table class="dataframe"><thead><tr><th>city</th><th>n</th></tr></thead><tbody><tr><td onclick="parent.postMessage({jsonrpc:\'2.0\',id:901,method:\'tools/call\',params:{name:\'remove_cell\'}},\'*\')">Paris</td><td colspan="1">3</td></tr></tbody></table>' +
          '<script>parent.postMessage({jsonrpc:"2.0",id:902,method:"tools/call",params:{name:"remove_cell"}},"*")</script>' +
          '<img src="x" onerror="parent.postMessage({jsonrpc:\'2.0\',id:903,method:\'tools/call\'},\'*\')"><a href="javascript:alert(1)">link</a><iframe src="https://example.com"></iframe>',
        'text/plain': '<table>',
      },
    },
  ];
  nb.cells.push(cell);
  fs.writeFileSync(path.join(ws.root, 'hostile.ipynb'), serializeNotebook(nb));
  server = await startServer({ root: ws.root });
  client = new Client({ name: 'Visual Studio Code', version: '1.139.1' }, { capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME] } } } as never });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  html = String((((await client.readResource({ uri: VIEWER_URI })).contents[0]) as { text: string }).text);
  const paths = hostPaths();
  const { chromium } = createRequire(path.join(paths.hostDir, 'package.json'))('playwright-core') as {
    chromium: { launch(o: Record<string, unknown>): Promise<typeof browser> };
  };
  browser = await chromium.launch({ executablePath: paths.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  await client?.close();
  await server?.close();
  ws?.cleanup();
});

/** The view's waits: a frame read while it navigates throws, which only means "not yet"; a 60 s hang guard. */
const VIEW_WAIT = { timeoutMs: 60_000, everyMs: 100, transientErrors: true };

/** Opens the view in the stand-in host with the result of show_output(args); resolves with its frame and what the page logged. */
async function showInView(args: Record<string, unknown>): Promise<{ frame: Frame; page: Page; console: string[] }> {
  const result = await client.callTool({ name: 'show_output', arguments: args });
  assert.ok(!result.isError, JSON.stringify(result));
  const page = await browser!.newPage({ viewport: { width: 920, height: 660 } });
  const console: string[] = [];
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  await page.exposeFunction('mcpRead', async (uri: unknown) => client.readResource({ uri: String(uri) }));
  await page.setContent(HOST_PAGE);
  await page.evaluate(`window.toolArgs = ${JSON.stringify(args)}; window.toolResult = ${JSON.stringify(result)};`);
  const csp = `<meta http-equiv="Content-Security-Policy" content="${CSP}">`;
  await page.evaluate(`window.show(${JSON.stringify(html.replace('<head>', `<head>${csp}`))})`);
  const frame = await until('the view frame', async () => page.frames().find((f, i) => i > 0), VIEW_WAIT);
  return { frame, page, console };
}

test('a Plotly figure is drawn by the bundled plotly.js under the no-eval, no-network policy', { skip, timeout: 120_000 }, async () => {
  const { frame, page, console } = await showInView({ path: 'charts.ipynb', cell_id: 'fee63ca3' });
  const bars = await until('the bars of the Plotly figure', () => frame.evaluate<number>(`document.querySelectorAll('.plot svg.main-svg g.point').length`), { ...VIEW_WAIT, timeoutMs: 90_000 });
  assert.equal(bars, 4, 'four regions, four bars');
  assert.match(await frame.evaluate<string>(`document.querySelector('.caption').textContent`), /charts\.ipynb · cell 1 · output 0 · Plotly figure/);
  assert.match(await frame.evaluate<string>(`document.querySelector('.gtitle')?.textContent ?? ''`), /Sales by region/);
  assert.ok(!console.some((l) => /Content Security Policy|EvalError|unsafe-eval/i.test(l)), console.join('\n'));
  const size = await until('a size-changed notification', () => page.evaluate<{ height: number } | null>('window.size'), VIEW_WAIT);
  assert.ok(size.height > 300, `height ${size.height}`);
  await page.screenshot({ path: path.join(os.tmpdir(), 'jmcp-viewer-plotly.png') });
});

test('an image output is shown as an image; a Vega-Lite spec as text, saying it is not drawn', { skip, timeout: 120_000 }, async () => {
  const img = await showInView({ path: 'analysis.ipynb', cell_id: '47d71fb2' });
  const width = await until('the image to load', () => img.frame.evaluate<number>(`document.querySelector('img')?.naturalWidth ?? 0`), VIEW_WAIT);
  assert.equal(width, 366);
  const vega = await showInView({ path: 'charts.ipynb', cell_id: '7f9dfcf5' });
  const note = await until('the Vega-Lite note', () => vega.frame.evaluate<string>(`document.querySelector('.item .note')?.textContent ?? ''`), VIEW_WAIT);
  assert.match(note, /not drawn by this viewer/);
  assert.match(await vega.frame.evaluate<string>(`document.querySelector('pre').textContent`), /"mark": ?"line"/);
});

test("a notebook's hostile HTML is rebuilt as a plain table: no script, handler, style, image, link or frame survives, and no tools/call reaches the host", { skip, timeout: 120_000 }, async () => {
  const { frame, page } = await showInView({ path: 'hostile.ipynb', cell_id: 'hostile1' });
  const cells = await until('the table', () => frame.evaluate<string[]>(`[...document.querySelectorAll('.table td, .table th')].map((c) => c.textContent)`).then((c) => (c.length ? c : undefined)), VIEW_WAIT);
  assert.deepEqual(cells, ['city', 'n', 'Paris', '3']);
  const dom = await frame.evaluate<string>(`document.querySelector('.table').innerHTML`);
  assert.doesNotMatch(dom, /onclick|onerror|<script|<style|<img|<iframe|javascript:|href=/i);
  assert.match(dom, /colspan="1"/);
  // Clicking where the handler was, then a moment for anything queued: only the view's own messages.
  await frame.evaluate(`document.querySelector('.table td').click()`);
  await new Promise((r) => setTimeout(r, 500));
  const seen = await page.evaluate<string[]>('window.seen');
  assert.ok(!seen.includes('tools/call'), JSON.stringify(seen));
  assert.ok(seen.includes('resources/read') && seen.includes('ui/initialize'), JSON.stringify(seen));
});
