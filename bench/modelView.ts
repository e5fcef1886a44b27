// Scenario 8: what each client's MODEL reads from default tool calls, per the client rules of
// test/helpers/clientViews.ts: VS Code (Copilot) and Claude Code read the structuredContent JSON
// (Copilot writes a text part over 8,192 to a file and hands its model a pointer), Roo Code the
// text, Cline 4 the JSON of the whole result cut to 8,000 characters. Each client connects under
// its real clientInfo name (the server picks its budget from it) and reads its own answers. Real
// server over real HTTP, real SDK clients, the real fixtures plus generated notebooks; execute
// rows use a real Jupyter server when one can start.
//   node --import tsx bench/modelView.ts [--label before|after] [--no-kernel]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { FIXTURES, startServer } from '../test/helpers/mcp';
import { CLIENT_INFO, CLIENTS, findBase64, modelView, type ClientName, type ResultLike } from '../test/helpers/clientViews';
import { MODEL_FIXTURES, writeModelFixtures } from '../test/helpers/modelFixtures';
import { startJupyterServer } from '../test/helpers/jupyter';
import { log, type Row } from './lib';

const S8 = '8 model view';

/** One client's view of one call's answer. */
export interface ClientFigures {
  tokens: number;
  chars: number;
  bytes: number;
  /** False when the client did not hand the answer whole (file pointer, preview, middle cut). */
  whole: boolean;
  images: number;
}

export interface ViewRow {
  case: string;
  clients: Record<ClientName, ClientFigures>;
  base64: boolean;
  error: boolean;
}

export async function runModelView(opts: { kernel?: boolean } = {}): Promise<{ rows: Row[]; views: ViewRow[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-view-'));
  for (const f of MODEL_FIXTURES) cpSync(path.join(FIXTURES, f), path.join(dir, f));
  const f = writeModelFixtures(dir);
  let jupyter: Awaited<ReturnType<typeof startJupyterServer>> | undefined;
  if (opts.kernel !== false) {
    try {
      jupyter = await startJupyterServer({ rootDir: dir });
    } catch (e) {
      log(`no Jupyter server (${e instanceof Error ? e.message : e}): execute rows skipped`);
    }
  }
  const server = await startServer({ root: dir, timeoutMs: 120_000, jupyter: jupyter ? { url: jupyter.url, token: jupyter.token, offline: false } : undefined });
  const clients = {} as Record<ClientName, Client>;
  for (const c of CLIENTS) {
    clients[c] = new Client(CLIENT_INFO[c]);
    await clients[c].connect(new StreamableHTTPClientTransport(new URL(server.url)));
  }
  const views: ViewRow[] = [];
  const measure = async (name: string, tool: string, args: Record<string, unknown> | ((c: ClientName) => Record<string, unknown>)) => {
    const row: ViewRow = { case: name, clients: {} as ViewRow['clients'], base64: false, error: false };
    for (const c of CLIENTS) {
      const r = (await clients[c].callTool({ name: tool, arguments: typeof args === 'function' ? args(c) : args }, undefined, { timeout: 300_000 })) as ResultLike;
      const v = modelView(r, c);
      row.clients[c] = { tokens: v.tokens, chars: v.chars, bytes: v.bytes, whole: v.whole, images: v.images.length };
      row.base64 ||= findBase64(v.text) !== undefined;
      row.error ||= r.isError === true;
    }
    views.push(row);
    log(`${name}: ${CLIENTS.map((c) => `${c} ${cell(row.clients[c])}`).join(', ')}${row.base64 ? ', BASE64 in text' : ''}${row.error ? ', ERROR' : ''}`);
    if (row.error) throw new Error(`${name}: a call answered an error; the figures would measure the error`);
  };
  try {
    for (const nb of MODEL_FIXTURES) await measure(`read_notebook {path}: ${nb}`, 'read_notebook', { path: nb });
    await measure('read_notebook {path}: 471 cells, 2.8 MB', 'read_notebook', { path: f.big471 });
    await measure('read_notebook {path, start_index: 200}: 471 cells', 'read_notebook', { path: f.big471, start_index: 200 });
    await measure('read_notebook {path}: 5,000 cells', 'read_notebook', { path: f.big5000 });
    await measure('read_notebook {path}: 20,000-line output', 'read_notebook', { path: f.longOutput });
    await measure('read_notebook outline: 471 cells', 'read_notebook', { path: f.big471, format: 'outline' });
    await measure('read_notebook outline: 5,000 cells', 'read_notebook', { path: f.big5000, format: 'outline' });
    await measure('read_output: analysis.ipynb plot', 'read_output', { path: 'analysis.ipynb', index: plotCell(), output_index: 0 });
    await measure('read_output: 20,000-line output, first page', 'read_output', { path: f.longOutput, cell_id: 'train', output_index: 0 });
    await measure('search_notebooks "df" (every notebook)', 'search_notebooks', { query: 'df' });
    await measure('list_notebooks', 'list_notebooks', {});
    await measure('list_runs', 'list_runs', {});
    if (jupyter) {
      await measure('list_kernels', 'list_kernels', {});
      const kernels = {} as Record<ClientName, string>;
      for (const c of CLIENTS) {
        // Cline's session answers text only: "Kernel started: <id> (<name>)".
        const k = (await clients[c].callTool({ name: 'start_kernel', arguments: {} })) as ResultLike & { structuredContent?: { kernel_id?: string } };
        kernels[c] = k.structuredContent?.kernel_id ?? /Kernel started: (\S+)/.exec(k.content?.[0]?.text ?? '')?.[1] ?? '';
      }
      await measure('execute_cell: 20,000 printed lines', 'execute_cell', (c) => ({
        kernel_id: kernels[c],
        code: 'for i in range(20000):\n    print(f"step {i} loss={1/(i+1):.6f} acc={i/20000:.4f}")',
      }));
      await measure('execute_notebook: analysis.ipynb', 'execute_notebook', (c) => ({ path: 'analysis.ipynb', kernel_id: kernels[c] }));
      await measure('execute_notebook_cell: analysis.ipynb plot cell', 'execute_notebook_cell', (c) => ({ path: 'analysis.ipynb', cell_index: plotCell(), kernel_id: kernels[c] }));
      for (const c of CLIENTS) await clients[c].callTool({ name: 'stop_kernel', arguments: { kernel_id: kernels[c] } }).catch(() => undefined);
    }
  } finally {
    for (const c of CLIENTS) await clients[c].close().catch(() => undefined);
    await server.close();
    await jupyter?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: Row[] = views.map((v) => {
    const vs = v.clients.vscode;
    const allWhole = CLIENTS.every((c) => v.clients[c].whole);
    return {
      scenario: S8,
      case: v.case,
      value: vs.chars,
      unit: 'chars (VS Code view)',
      target: 'every client hands it to its model whole (VS Code ≤ 8,192, Cline ≤ 8,000, Claude Code ≤ 50,000), no base64 in text',
      pass: allWhole && !v.base64,
      note: `${CLIENTS.map((c) => `${c} ${cell(v.clients[c])}`).join('; ')}${v.base64 ? '; base64 in a text view' : ''}${v.error ? '; isError' : ''}`,
    };
  });
  return { rows, views };
}

/** "2,010 tok, 8,040 B" plus how the client cut it, for a table cell. */
function cell(f: ClientFigures): string {
  const n = (x: number) => x.toLocaleString('en');
  return `${n(f.tokens)} tok, ${n(f.bytes)} B${f.images ? ` + ${f.images} image${f.images === 1 ? '' : 's'}` : ''}${f.whole ? '' : ' NOT WHOLE'}`;
}

/** The first code cell of analysis.ipynb that draws a plot. */
function plotCell(): number {
  const nb = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis.ipynb'), 'utf8')) as { cells: Array<{ cell_type: string; outputs?: Array<{ data?: Record<string, unknown> }> }> };
  return nb.cells.findIndex((c) => c.cell_type === 'code' && (c.outputs ?? []).some((o) => o.data && 'image/png' in o.data));
}

if (require.main === module) {
  const label = process.argv.includes('--label') ? process.argv[process.argv.indexOf('--label') + 1] : 'latest';
  runModelView({ kernel: !process.argv.includes('--no-kernel') })
    .then(({ views }) => {
      const out = path.join(__dirname, 'results');
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, `model-view-${label}.json`), JSON.stringify(views, null, 2) + '\n');
      const n = (x: number) => x.toLocaleString('en');
      // Bytes are UTF-8 bytes of what each client measures (VS Code, Claude Code: the
      // structuredContent JSON; Roo Code: the text; Cline: the JSON of the whole result).
      // VS Code chars: what Copilot compares with its 8,192 threshold (the text's length).
      console.log('| Call | VS Code bytes | VS Code chars | Claude Code bytes | Roo Code bytes | Cline bytes | VS Code tokens | images | base64 in text |');
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
      const b = (f: ClientFigures, limit: string) => `${n(f.bytes)}${f.whole ? '' : ` (${limit})`}`;
      for (const v of views) {
        const c = v.clients;
        console.log(`| ${v.case} | ${b(c.vscode, 'file')} | ${n(c.vscode.chars)} | ${b(c['claude-code'], 'file')} | ${b(c.roo, 'cut')} | ${b(c.cline, 'cut')} | ${n(c.vscode.tokens)} | ${c.vscode.images} | ${v.base64 ? 'yes' : 'no'} |`);
      }
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
