// Issue #21 in a REAL extension host: what the kernel of an open notebook knows, read by the agent
// over MCP (a real SDK client on HTTP) while the person works in the notebook with our "Jupyter MCP"
// controller on a real Jupyter server (Debian's jupyter_server, ipykernel, pandas). The person's
// cells define a 1,000,000-row DataFrame; the agent lists and inspects it and asks the kernel about
// numpy.linspace; then the person's next cell shows nothing changed (its execution count, len(In),
// `_`, the names), the document was not touched, and a kernel busy with the person's long cell
// answers "busy" at once. Skipped when /usr/bin/python3 cannot import jupyter_server and ipykernel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JupyterMcpApi } from '../../../src/extension';
import { EditorCellRunner } from '../../../src/editor/cellRunner';
import { CONTROLLER_ID } from '../../../src/editor/controller';
import type { EditorKernels } from '../../../src/editor/editorKernels';
import type { LocalJupyter } from '../../../src/kernels/localServer';
import { EXTENSION_ID, startConnectedRuntime, stopConnectedRuntime } from './connectedRuntime';
import { outputText, writeNotebook } from './notebookFiles';
import { connectMcpClient, until } from './helpers';

const NB = 'inspected.ipynb';
const PROBE = 'print(len(In), repr(_), sorted(dir()), sep="\\n")';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = { isError: boolean; text: string; structured: any };

suite('What the kernel of an open notebook knows, without trace (issue #21)', function () {
  this.timeout(180_000);
  let root: string;
  let api: JupyterMcpApi;
  let kernels: EditorKernels;
  let jupyter: LocalJupyter | undefined;
  let mcp: { client: Client; transport: StreamableHTTPClientTransport };
  let runner: EditorCellRunner;
  let doc: vscode.NotebookDocument;

  async function call(name: string, args: Record<string, unknown>): Promise<Result> {
    const r = (await mcp.client.callTool({ name, arguments: args }, undefined, { timeout: 150_000 })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: unknown };
    return { isError: r.isError === true, text: r.content.map((c) => c.text ?? '').join('\n'), structured: r.structuredContent };
  }

  /** The person runs the probe cell: its execution count and what it printed (len(In), `_`, the names). */
  async function probe(): Promise<{ count: number | null; inLen: number; underscore: string; names: string[] }> {
    const r = await runner.runCell(NB, 1, { timeoutMs: 60_000 });
    assert.equal(r.status, 'ok', outputText(r));
    const [inLen, underscore, names] = outputText(r).trimEnd().split('\n');
    return { count: r.execution_count, inLen: Number(inLen), underscore, names: JSON.parse(names.replace(/'/g, '"')) };
  }

  suiteSetup(async function () {
    ({ api, root, jupyter, kernels } = await startConnectedRuntime(this));
    runner = new EditorCellRunner(kernels);
    writeNotebook(path.join(root, NB), [
      'import numpy, numpy as np, pandas as pd\ndf = pd.DataFrame({"id": np.arange(1_000_000), "price": np.linspace(0.0, 1.0, 1_000_000)})\narr = np.arange(12.0).reshape(3, 4)\narr.shape',
      PROBE,
      `import os, time\nwhile not os.path.exists(${JSON.stringify(path.join(root, 'inspected.stop'))}):\n    print("working", flush=True)\n    time.sleep(0.5)`,
    ]);
    doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, NB)));
    await vscode.window.showNotebookDocument(doc);
    await until('our controller to be selected', async () => {
      void vscode.commands.executeCommand('_notebook.selectKernel', { id: CONTROLLER_ID, extension: EXTENSION_ID });
      await new Promise((r) => setTimeout(r, 100));
      return kernels.usesOurController(doc);
    });
    mcp = await connectMcpClient(api, 'inspection-host-test');
  });

  suiteTeardown(async () => {
    fs.writeFileSync(path.join(root ?? '.', 'inspected.stop'), '');
    await stopConnectedRuntime(api, jupyter, mcp);
  });

  test('the agent lists and inspects the person\'s DataFrame and asks about numpy.linspace; nothing changes', async () => {
    const defined = await runner.runCell(NB, 0, { timeoutMs: 120_000 });
    assert.equal(defined.status, 'ok', outputText(defined));
    const before = await probe();
    assert.equal(before.underscore, '(3, 4)');
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the notebook to be saved', () => !doc.isDirty);
    const version = doc.version;
    const bytes = fs.readFileSync(path.join(root, NB));

    const listed = await call('list_variables', { path: NB });
    assert.equal(listed.isError, false, listed.text);
    assert.equal(listed.structured.kernel_id, kernels.controller!.kernelIdFor(doc), "the notebook's kernel (our controller's Jupyter kernel)");
    assert.deepEqual(listed.structured.variables.slice(0, 2).map((v: { name: string; shape: number[] }) => [v.name, v.shape]), [
      ['df', [1_000_000, 2]],
      ['arr', [3, 4]],
    ]);
    const df = await call('inspect_variable', { kernel_id: `editor:${NB}`, name: 'df' });
    assert.equal(df.isError, false, df.text);
    assert.deepEqual(df.structured.columns, [
      { name: 'id', dtype: 'int64', nulls: 0 },
      { name: 'price', dtype: 'float64', nulls: 0 },
    ]);
    assert.match(df.structured.head, /^\s+id\s+price\n0\s+0\s+0\.0+\n/);
    const doc0 = await call('inspect_code', { path: NB, code: 'numpy.linspace' });
    assert.equal(doc0.isError, false, doc0.text);
    assert.match(doc0.structured.documentation, /numpy\.linspace\(\s*start,\s*stop,\s*num=50/);

    assert.equal(doc.version, version, 'the open document was not touched');
    assert.equal(doc.isDirty, false);
    assert.ok(fs.readFileSync(path.join(root, NB)).equals(bytes), 'the notebook file is unchanged');
    const after = await probe();
    assert.equal(after.count, (before.count ?? 0) + 1, 'the person\'s next cell has the count it would have had');
    assert.equal(after.inLen, before.inLen + 1, 'nothing was added to In');
    assert.equal(after.underscore, before.underscore, '_ is unchanged');
    assert.deepEqual(
      after.names.filter((n) => !before.names.includes(n)),
      [`_i${after.count}`],
      'no new name but the probe cell\'s own input variable',
    );
  });

  test('while the person\'s long cell runs, the agent is told "busy" at once; nothing queues', async () => {
    const stop = path.join(root, 'inspected.stop');
    fs.rmSync(stop, { force: true });
    const long = runner.runCell(NB, 2, { timeoutMs: 150_000 });
    await until('the long cell to print', () => doc.cellAt(2).outputs.length > 0, 60_000);
    try {
      for (const [tool, args] of [
        ['list_variables', { path: NB }],
        ['inspect_variable', { kernel_id: `editor:${NB}`, name: 'df' }],
        ['inspect_code', { path: NB, code: 'numpy.linspace' }],
      ] as const) {
        const started = Date.now();
        const r = await call(tool, args);
        assert.ok(Date.now() - started < 2000, `${tool} answered after ${Date.now() - started} ms`);
        assert.equal(r.isError, true, r.text);
        assert.match(r.text, /is busy \(running a cell sent through Jupyter MCP\).*nothing ran and nothing changed/, tool);
      }
    } finally {
      fs.writeFileSync(stop, '');
    }
    assert.equal((await long).status, 'ok');
  });
});
