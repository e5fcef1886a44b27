// Scenario 8: what each client's MODEL reads from default tool calls (tokens ≈ chars / 4), per the
// client rules of test/helpers/clientViews.ts: VS Code and Claude Code read the structuredContent
// JSON, Roo Code and Cline the text. Real server over real HTTP, real SDK client, the real fixtures
// plus generated notebooks; execute rows use a real Jupyter server when one can start.
//   node --import tsx bench/modelView.ts [--label before|after] [--no-kernel]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { connectClient, FIXTURES, startServer } from '../test/helpers/mcp';
import { allViews, findBase64, type ResultLike } from '../test/helpers/clientViews';
import { writeModelFixtures } from '../test/helpers/modelFixtures';
import { startJupyterServer } from '../test/helpers/jupyter';
import { log, type Row } from './lib';

const S8 = '8 model view';

export interface ViewRow {
  case: string;
  vscode: number;
  claude: number;
  roo: number;
  images: number;
  base64: boolean;
  error: boolean;
}

export async function runModelView(opts: { kernel?: boolean } = {}): Promise<{ rows: Row[]; views: ViewRow[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jmcp-bench-view-'));
  cpSync(path.join(FIXTURES, 'analysis.ipynb'), path.join(dir, 'analysis.ipynb'));
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
  const client = await connectClient(server.url);
  const views: ViewRow[] = [];
  const measure = async (name: string, tool: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 300_000 })) as ResultLike;
    const v = allViews(r);
    const row: ViewRow = {
      case: name,
      vscode: v.vscode.tokens,
      claude: v['claude-code'].tokens,
      roo: v.roo.tokens,
      images: v.vscode.images.length,
      base64: Object.values(v).some((x) => findBase64(x.text) !== undefined),
      error: r.isError === true,
    };
    views.push(row);
    log(`${name}: VS Code ${row.vscode}, Claude Code ${row.claude}, Roo/Cline ${row.roo} tokens, ${row.images} images${row.base64 ? ', BASE64 in text' : ''}${row.error ? ', ERROR' : ''}`);
  };
  try {
    await measure('read_notebook {path}: analysis.ipynb (fixture, 2 plots)', 'read_notebook', { path: 'analysis.ipynb' });
    await measure('read_notebook {path}: 471 cells, 2.8 MB', 'read_notebook', { path: f.big471 });
    await measure('read_notebook {path}: 5,000 cells', 'read_notebook', { path: f.big5000 });
    await measure('read_notebook {path}: 20,000-line output', 'read_notebook', { path: f.longOutput });
    await measure('read_notebook outline: 471 cells', 'read_notebook', { path: f.big471, format: 'outline' });
    await measure('read_notebook outline: 5,000 cells', 'read_notebook', { path: f.big5000, format: 'outline' });
    await measure('read_output: analysis.ipynb plot', 'read_output', { path: 'analysis.ipynb', index: plotCell(), output_index: 0 });
    if (jupyter) {
      const k = (await client.callTool({ name: 'start_kernel', arguments: {} })) as { structuredContent?: { kernel_id?: string } };
      const kernel_id = k.structuredContent?.kernel_id;
      await measure('execute_cell: 20,000 printed lines', 'execute_cell', {
        kernel_id,
        code: 'for i in range(20000):\n    print(f"step {i} loss={1/(i+1):.6f} acc={i/20000:.4f}")',
      });
      await measure('execute_notebook: analysis.ipynb', 'execute_notebook', { path: 'analysis.ipynb' });
      await measure('execute_notebook_cell: analysis.ipynb plot cell', 'execute_notebook_cell', { path: 'analysis.ipynb', cell_index: plotCell() });
      await client.callTool({ name: 'stop_kernel', arguments: { kernel_id } }).catch(() => undefined);
    }
  } finally {
    await client.close().catch(() => undefined);
    await server.close();
    await jupyter?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: Row[] = views.map((v) => ({
    scenario: S8,
    case: v.case,
    value: Math.max(v.vscode, v.claude, v.roo),
    unit: 'tokens',
    target: '≤ 10,000 tokens in every view',
    pass: Math.max(v.vscode, v.claude, v.roo) <= 10_000 && !v.base64,
    note: `VS Code ${v.vscode.toLocaleString('en')}, Claude Code ${v.claude.toLocaleString('en')}, Roo/Cline ${v.roo.toLocaleString('en')} tokens; ${v.images} image block${v.images === 1 ? '' : 's'}${v.base64 ? '; base64 in a text view' : ''}${v.error ? '; isError' : ''}`,
  }));
  return { rows, views };
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
      console.log('| Call | VS Code | Claude Code | Roo / Cline | images | base64 in text |');
      console.log('|---|---:|---:|---:|---:|---|');
      for (const v of views) console.log(`| ${v.case} | ${v.vscode.toLocaleString('en')} | ${v.claude.toLocaleString('en')} | ${v.roo.toLocaleString('en')} | ${v.images} | ${v.base64 ? 'yes' : 'no'} |`);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
