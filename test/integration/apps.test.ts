// The MCP Apps output viewer and the resource_link blocks to plots, through the real SDK client over
// real HTTP. A client that declares io.modelcontextprotocol/ui at initialize (as VS Code 1.139 does)
// gets the show_output tool with _meta.ui.resourceUri and can read the ui:// view and plotly.js;
// every other client sees exactly the tool list it saw before, and no ui:// resource. Results that
// show or name a plot carry a few resource_link blocks (audience "user") that read back the plot.
// The view's rendering itself is checked in the real VS Code (test/host/suite/surface.test.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { call, connectClient, startServer, tempWorkspace, type TestServer } from '../helpers/mcp';
import { modelView } from '../helpers/clientViews';
import { useRealJupyter, writeNotebook } from '../helpers/realJupyter';
import { toolList } from '../../src/server/mcpServer';
import { APP_MIME, PLOTLY_URI, UI_EXTENSION, VIEWER_URI } from '../../src/server/apps/outputViewer';
import { MAX_PLOT_LINKS } from '../../src/tools/plotLinks';

const UI_CAPS = { extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME] } } };

async function appsClient(url: string): Promise<Client> {
  const client = new Client({ name: 'Visual Studio Code', version: '1.139.1' }, { capabilities: UI_CAPS as never });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

type Link = { type: 'resource_link'; uri: string; name: string; mimeType?: string; annotations?: { audience?: string[] } };
const links = (content: Array<{ type: string }>) => content.filter((c) => c.type === 'resource_link') as Link[];

describe('MCP Apps output viewer', () => {
  let ws: { root: string; cleanup(): void };
  let server: TestServer;
  before(async () => {
    ws = tempWorkspace(['analysis.ipynb', 'charts.ipynb']);
    server = await startServer({ root: ws.root });
  });
  after(async () => {
    await server?.close();
    ws?.cleanup();
  });

  test('a client that does not declare the extension sees the tool list it always saw, and no viewer', async () => {
    const plain = await connectClient(server.url);
    try {
      const { tools } = await plain.listTools();
      assert.deepEqual(tools, JSON.parse(JSON.stringify(toolList())));
      assert.ok(!tools.some((t) => t._meta), 'no _meta on any tool');
      await assert.rejects(plain.readResource({ uri: VIEWER_URI }), (e: { code?: number; message: string }) => e.code === -32002 && /io\.modelcontextprotocol\/ui/.test(e.message));
      const r = await call(plain, 'show_output', { path: 'charts.ipynb', cell_id: 'fee63ca3' });
      assert.ok(r.isError);
      assert.match(r.text, /offered only to MCP clients that declare the io\.modelcontextprotocol\/ui extension.*read_output/);
    } finally {
      await plain.close();
    }
  });

  test('a client that declares it gets show_output with _meta.ui.resourceUri, the rest unchanged', async () => {
    const c = await appsClient(server.url);
    try {
      const { tools } = await c.listTools();
      assert.deepEqual(tools.slice(0, -1), JSON.parse(JSON.stringify(toolList())));
      const show = tools[tools.length - 1];
      assert.equal(show.name, 'show_output');
      assert.deepEqual(show._meta, { ui: { resourceUri: VIEWER_URI } });
      assert.equal(show.annotations?.readOnlyHint, true);
      assert.ok(JSON.stringify(show).length < 1200, `${JSON.stringify(show).length} characters in tools/list`);
    } finally {
      await c.close();
    }
  });

  test('the view is one HTML document of the MCP App profile, with no network: no URL, no external script', async () => {
    const c = await appsClient(server.url);
    try {
      const r = await c.readResource({ uri: VIEWER_URI });
      const doc = r.contents[0] as { mimeType: string; text: string; _meta?: { ui?: { prefersBorder?: boolean; csp?: unknown } } };
      assert.equal(doc.mimeType, APP_MIME);
      assert.match(doc.text, /^<!DOCTYPE html>/);
      assert.equal(doc._meta?.ui?.prefersBorder, true);
      assert.equal(doc._meta?.ui?.csp, undefined, 'no domain asked for: the host keeps its no-network default');
      assert.doesNotMatch(doc.text, /https?:\/\//);
      assert.doesNotMatch(doc.text, /<script[^>]+src=/i);
      assert.match(doc.text, /ui\/initialize/);
      assert.match(doc.text, /ui\/notifications\/tool-result/);
      const js = await c.readResource({ uri: PLOTLY_URI });
      const lib = js.contents[0] as { mimeType: string; text: string };
      assert.equal(lib.mimeType, 'text/javascript');
      assert.ok(lib.text.length > 1_000_000, `${lib.text.length} characters`);
      // The host's CSP has no 'unsafe-eval': the bundle must not build functions from strings.
      assert.doesNotMatch(lib.text, /new Function|[^.\w]eval\(/);
    } finally {
      await c.close();
    }
  });

  test('show_output names the outputs and their URIs; the view reads a Plotly figure and an image through them', async () => {
    const c = await appsClient(server.url);
    try {
      const plot = await call(c, 'show_output', { path: 'charts.ipynb', cell_id: 'fee63ca3' });
      assert.ok(!plot.isError, plot.text);
      assert.equal(plot.structured.outputs.length, 1);
      assert.equal(plot.structured.outputs[0].uri, 'notebook:///charts.ipynb/cells/fee63ca3/outputs/0');
      assert.ok(plot.structured.outputs[0].kinds.includes('application/vnd.plotly.v1+json'));
      assert.match(plot.text, /Shown to the person in the chat's output viewer.*You do not see the view/);
      const forms = await c.readResource({ uri: plot.structured.outputs[0].uri });
      const fig = forms.contents.find((f) => f.mimeType === 'application/vnd.plotly.v1+json') as { text: string };
      assert.deepEqual(JSON.parse(fig.text).data[0].x, ['North', 'South', 'East', 'West']);
      // A cell with a plain output and a plot: the plot only; a text-only cell: its outputs.
      const img = await call(c, 'show_output', { path: 'analysis.ipynb', cell_index: 4 });
      assert.deepEqual(img.structured.outputs.map((o: { output_index: number }) => o.output_index), [0]);
      const textOnly = await call(c, 'show_output', { path: 'analysis.ipynb', cell_id: 'cb7e3919' });
      assert.deepEqual(textOnly.structured.outputs.map((o: { output_index: number }) => o.output_index), [0, 1]);
      const md = await call(c, 'show_output', { path: 'analysis.ipynb', cell_index: 0 });
      assert.ok(md.isError);
      assert.match(md.text, /has no outputs to show \(it is a markdown cell\)/);
      const out = await call(c, 'show_output', { path: 'analysis.ipynb', cell_index: 4, output_index: 2 });
      assert.ok(out.isError);
      assert.match(out.text, /out of range.*valid output indexes are 0 to 0/);
    } finally {
      await c.close();
    }
  });
});

describe('resource_link blocks to plots', () => {
  let ws: { root: string; cleanup(): void };
  let server: TestServer;
  let client: Client;
  before(async () => {
    ws = tempWorkspace(['analysis.ipynb']);
    // VS Code's budget (another branch makes it per client): links must not push a result over it.
    server = await startServer({ root: ws.root, maxResultChars: 8000 });
    client = await connectClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    ws?.cleanup();
  });

  test('read_output of an image: the image, and a link (for the person) that reads back the original', async () => {
    const r = await call(client, 'read_output', { path: 'analysis.ipynb', cell_id: '47d71fb2', output_index: 0 });
    assert.ok(!r.isError, r.text);
    assert.equal(r.content.filter((c) => c.type === 'image').length, 1);
    const l = links(r.content);
    assert.equal(l.length, 1);
    assert.equal(l[0].uri, 'notebook:///analysis.ipynb/cells/47d71fb2/outputs/0.png');
    assert.equal(l[0].mimeType, 'image/png');
    assert.deepEqual(l[0].annotations?.audience, ['user'], 'VS Code would read an image link into the model a second time otherwise');
    const back = await client.readResource({ uri: l[0].uri });
    const saved = JSON.parse(readFileSync(path.join(ws.root, 'analysis.ipynb'), 'utf8')).cells[4].outputs[0].data['image/png'];
    assert.equal((back.contents[0] as { blob: string }).blob, String(saved).replace(/\s+/g, ''));
    // A text output: no link.
    assert.deepEqual(links((await call(client, 'read_output', { path: 'analysis.ipynb', cell_id: 'cb7e3919', output_index: 0 })).content), []);
  });

  test('Cline 4 gets no links: it hands the whole result\'s JSON to its model, where a link is only noise', async () => {
    const cline = new Client({ name: 'Cline', version: '4.2.0' });
    await cline.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    try {
      const r = await call(cline, 'read_output', { path: 'analysis.ipynb', cell_id: '47d71fb2', output_index: 0 });
      assert.ok(!r.isError, r.text);
      assert.deepEqual(links(r.content), []);
      assert.match(r.text, /1 image not included/);
    } finally {
      await cline.close();
    }
  });

  test('read_notebook: a link per plot of the page (they are placeholders for the model), none for format "source"; the model views stay in budget', async () => {
    const r = await call(client, 'read_notebook', { path: 'analysis.ipynb' });
    assert.ok(!r.isError, r.text);
    assert.deepEqual(links(r.content).map((x) => x.uri), ['notebook:///analysis.ipynb/cells/47d71fb2/outputs/0.png']);
    for (const who of ['vscode', 'claude-code', 'roo', 'cline'] as const) {
      const v = modelView({ content: r.content, structuredContent: r.structured }, who);
      assert.ok(v.chars <= 8000, `${who}: ${v.chars} characters`);
    }
    assert.deepEqual(links((await call(client, 'read_notebook', { path: 'analysis.ipynb', format: 'source' })).content), []);
  });
});

describe('resource_link after running a plot (real Jupyter)', () => {
  const f = useRealJupyter({ server: { maxResultChars: 8000 } });
  test('execute_notebook_cell of a cell that draws two plots: the images and a link to each saved output', { timeout: 180_000 }, async () => {
    writeNotebook(f.ws.root, 'plots.ipynb', [
      "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n%matplotlib inline\nprint('two plots')\nfor k in (1, 2):\n    plt.figure(figsize=(2, 1.5))\n    plt.plot([0, k])\n    plt.show()",
    ]);
    const r = await call(f.client, 'execute_notebook_cell', { path: 'plots.ipynb', cell_id: 'c0' });
    assert.ok(!r.isError, r.text);
    assert.equal(r.content.filter((c) => c.type === 'image').length, 2);
    const l = links(r.content);
    assert.deepEqual(l.map((x) => x.uri), ['notebook:///plots.ipynb/cells/c0/outputs/1.png', 'notebook:///plots.ipynb/cells/c0/outputs/2.png']);
    assert.ok(l.length <= MAX_PLOT_LINKS);
    const back = await f.client.readResource({ uri: l[1].uri });
    assert.equal(back.contents[0].mimeType, 'image/png');
    assert.equal(Buffer.from((back.contents[0] as { blob: string }).blob, 'base64').subarray(1, 4).toString('latin1'), 'PNG');
    const v = modelView({ content: r.content, structuredContent: r.structured }, 'vscode');
    assert.ok(v.chars <= 8000, `${v.chars} characters`);
  });
});
