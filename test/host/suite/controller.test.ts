// The "Jupyter MCP: <server>" notebook controller in a REAL extension host, on a real Jupyter server
// (Debian's jupyter_server, started here from the extension host): the person picks it for a
// notebook, cells run in the notebook's Jupyter session kernel — the same kernel the agent gets —
// outputs stream into the cell, time-outs interrupt, and without a server the cell says how to
// connect. Skipped when /usr/bin/python3 cannot import jupyter_server and ipykernel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JupyterMcpApi } from '../../../src/extension';
import type { Runtime } from '../../../src/editor/runtime';
import { EditorCellRunner } from '../../../src/editor/cellRunner';
import { CONTROLLER_ID } from '../../../src/editor/controller';
import type { EditorKernels } from '../../../src/editor/editorKernels';
import type { ExecuteResult } from '../../../src/kernels/backend';
import type { LocalJupyter } from '../../../src/kernels/localServer';
import { EXTENSION_ID, startConnectedRuntime, stopConnectedRuntime } from './connectedRuntime';
import { outputText, writeNotebook } from './notebookFiles';
import { until } from './helpers';

const NB = 'shared-kernel.ipynb';

suite('"Jupyter MCP" notebook controller on a real Jupyter server', function () {
  this.timeout(60_000);
  let root: string;
  let api: JupyterMcpApi;
  let rt: Runtime;
  let jupyter: LocalJupyter | undefined;
  let kernels: EditorKernels;
  let runner: EditorCellRunner;
  let doc: vscode.NotebookDocument;

  suiteSetup(async function () {
    ({ api, root, rt, jupyter, kernels } = await startConnectedRuntime(this));
    runner = new EditorCellRunner(kernels);
    writeNotebook(path.join(root, NB), [
      'x = 41\nprint("from the person")',
      'import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.4)',
      'import time\nprint("start", flush=True)\ntime.sleep(30)\nprint("never")',
      'x + 1',
      '1/0',
      'import time\nprint("waiting", flush=True)\ntime.sleep(30)',
    ]);
    doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, NB)));
    await vscode.window.showNotebookDocument(doc);
  });

  suiteTeardown(() => stopConnectedRuntime(api, jupyter));

  test('is registered with the server in its label', () => {
    const port = new URL(jupyter!.url).port;
    assert.equal(kernels.controller!.label, `Jupyter MCP: 127.0.0.1:${port}`);
  });

  test('the person picks it and runs a cell: outputs in the cell, execution order from the kernel', async () => {
    await vscode.window.showNotebookDocument(doc);
    assert.equal(await runner.serves(NB), false, 'no kernel selected yet');
    await until('our controller to be selected', async () => {
      void vscode.commands.executeCommand('_notebook.selectKernel', { id: CONTROLLER_ID, extension: EXTENSION_ID });
      await new Promise((r) => setTimeout(r, 100));
      return kernels.usesOurController(doc);
    });
    assert.equal(await runner.serves(NB), true);
    const r = await runner.runCell(NB, 0, { timeoutMs: 30_000 });
    assert.equal(r.status, 'ok', r.message);
    assert.deepEqual(r.outputs, [{ output_type: 'stream', name: 'stdout', text: 'from the person\n' }]);
    assert.equal(r.execution_count, 1, 'the first execution in a fresh kernel');
    assert.equal(doc.cellAt(0).executionSummary?.executionOrder, 1);
    assert.equal(doc.cellAt(0).executionSummary?.success, true);
    assert.equal(new TextDecoder().decode(doc.cellAt(0).outputs[0].items[0].data), 'from the person\n');
    assert.equal(r.kernel_id, kernels.controller!.kernelIdFor(doc));
  });

  test("the agent gets the same kernel (the notebook's Jupyter session) and sees the person's variables", async () => {
    const id = kernels.controller!.kernelIdFor(doc);
    assert.ok(id);
    const viaRouter = await rt.kernels.kernelForNotebook(NB, 'python3');
    assert.equal(viaRouter.id, id);
    const viaJupyter = await rt.kernels.jupyterBackend.kernelForNotebook(NB, 'python3');
    assert.equal(viaJupyter.id, id, 'JupyterServerBackend.kernelForNotebook gives the kernel the cell ran in');
    const r = await rt.kernels.execute(id, 'print(x)', { timeoutMs: 10_000 });
    assert.equal(outputText(r), '41\n');
    // The editor's id for the notebook reaches the same kernel.
    const viaEditorId = await rt.kernels.execute(`editor:${NB}`, 'x', { timeoutMs: 10_000 });
    assert.equal(outputText(viaEditorId), '41');
    const listed = (await rt.kernels.listKernels()).active.filter((k) => k.id === id);
    assert.ok(listed.some((k) => k.backend === 'editor' && k.notebook === NB), JSON.stringify(listed));
  });

  test('outputs stream into the cell while it runs', async () => {
    const seen: { n: number; running: boolean }[] = [];
    const cell = doc.cellAt(1);
    const r = await runner.runCell(NB, 1, { timeoutMs: 30_000, onOutput: (_o, n) => seen.push({ n, running: !cell.executionSummary?.timing }) });
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.outputs, [{ output_type: 'stream', name: 'stdout', text: '0\n1\n2\n' }]);
    assert.ok(seen.filter((s) => s.running).length >= 2, `outputs seen while running: ${JSON.stringify(seen)}`);
    assert.equal(r.execution_count, 4, 'the agent ran two executions in between (counts 2 and 3)');
  });

  test('a time-out interrupts the kernel, keeps the partial outputs, and the kernel goes on', async () => {
    const started = Date.now();
    // 6 s: long enough for the cell's first print to arrive on a loaded machine.
    const r = await runner.runCell(NB, 2, { timeoutMs: 6000 });
    assert.equal(r.status, 'timeout', r.message);
    // The cell sleeps 30 s: returning well before shows the time-out interrupted it (not a speed check).
    assert.ok(Date.now() - started < 25_000, 'it waited for the 30 s sleep instead of interrupting it');
    assert.equal(r.outputs[0]?.text, 'start\n');
    assert.ok(!outputText(r).includes('never'));
    assert.equal(doc.cellAt(2).executionSummary?.success, false);
    const next = await runner.runCell(NB, 3, { timeoutMs: 20_000 });
    assert.equal(next.status, 'ok');
    assert.equal(outputText(next), '42');
  });

  test("the agent's interrupt_kernel stops a cell the person runs; errors are errors", async () => {
    const id = kernels.controller!.kernelIdFor(doc)!;
    // A cell that never ran: its first output shows the code is running in the kernel.
    const running = runner.runCell(NB, 5, { timeoutMs: 30_000 });
    await until('the cell to print', () => doc.cellAt(5).outputs.length > 0, 10_000);
    await rt.kernels.interruptKernel(id);
    const r = await running;
    assert.equal(r.status, 'error');
    assert.ok(r.outputs.some((o) => o.output_type === 'error' && o.ename === 'KeyboardInterrupt'), JSON.stringify(r.outputs));
    const err = await runner.runCell(NB, 4, { timeoutMs: 20_000 });
    assert.equal(err.status, 'error');
    assert.equal(err.outputs[0]?.ename, 'ZeroDivisionError');
  });

  test('without a Jupyter server the cell says how to connect', async () => {
    await api.server.disconnectJupyter();
    assert.equal(kernels.controller!.label, 'Jupyter MCP (no Jupyter server)');
    const r = await runner.runCell(NB, 3, { timeoutMs: 20_000 });
    assert.equal(r.status, 'error');
    assert.equal(r.outputs[0]?.output_type, 'error');
    assert.match(String(r.outputs[0]?.evalue), /not connected to a Jupyter server: run "Jupyter MCP: Connect to Jupyter Server…"/);
  });
});
