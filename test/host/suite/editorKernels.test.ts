// Kernels of notebooks open in VS Code, in a REAL extension host, with the test stand-in for VS
// Code's Jupyter extension (test/host/fixtures/fake-jupyter: publisher ms-toolsai, name jupyter;
// a python3 REPL per notebook, the real API's `kernels.getKernel` / `executeCode` shape). The
// stand-in must be loaded as a second development extension (harness option extraExtensionPaths);
// without it this suite is skipped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EditorCellRunner } from '../../../src/editor/cellRunner';
import { EditorKernels } from '../../../src/editor/editorKernels';
import { KernelError, type ExecuteResult } from '../../../src/kernels/backend';
import { Workspace } from '../../../src/notebooks/paths';
import { silentLogger } from '../../../src/util/log';
import { outputText, writeNotebook } from './notebookFiles';
import { until } from './helpers';

const JUPYTER_ID = 'ms-toolsai.jupyter';
// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

interface StandIn {
  isTestStandIn?: boolean;
  isSelectedFor(uri: vscode.Uri): boolean;
  controllerId: string;
}

suite('editor kernels: VS Code Jupyter extension (test stand-in)', function () {
  let root: string;
  let kernels: EditorKernels;
  let runner: EditorCellRunner;
  let standIn: StandIn;
  const NB = 'editor-kernels.ipynb';
  let doc: vscode.NotebookDocument;

  suiteSetup(async function () {
    const ext = vscode.extensions.getExtension<StandIn>(JUPYTER_ID);
    if (!ext) {
      // Loaded by host.test.ts through the harness option extraExtensionPaths.
      console.log(`[Extension Host] skipped: ${JUPYTER_ID} (test/host/fixtures/fake-jupyter) is not loaded in this host`);
      this.skip();
    }
    standIn = await ext!.activate();
    assert.equal(standIn.isTestStandIn, true, `${JUPYTER_ID} here is not the test stand-in: these tests drive the stand-in's REPL`);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the host was started without a workspace folder');
    root = folder.uri.fsPath;
    kernels = new EditorKernels(new Workspace(root), silentLogger);
    runner = new EditorCellRunner(kernels);
    writeNotebook(path.join(root, NB), [
      'x = 6 * 7\nprint("hello")',
      'x',
      '1/0',
      `display_png("${PNG}")`,
      'import time\nprint("start", flush=True)\ntime.sleep(30)\nprint("never")',
      '# md:Some *markdown*',
      'import sys\nprint("to stderr", file=sys.stderr)\nprint("to stdout")',
    ]);
    doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, NB)));
    await vscode.window.showNotebookDocument(doc);
  });

  suiteTeardown(async () => {
    await kernels?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('before a kernel is started: nothing is listed or served, execute names the fix', async () => {
    assert.deepEqual((await kernels.listKernels()).active.filter((k) => k.notebook === NB), []);
    assert.equal(await kernels.servesNotebook(NB), false);
    assert.equal(await runner.serves(NB), false);
    assert.equal(await kernels.hasKernel(`editor:${NB}`), true, 'editor:<path> ids belong to the editor backend');
    await assert.rejects(kernels.execute(`editor:${NB}`, '1', { timeoutMs: 5000 }), (e: Error) => {
      assert.ok(e instanceof KernelError);
      assert.match(e.message, new RegExp(`No kernel is running for ${NB} in VS Code: run a cell or pick a kernel`));
      assert.match(e.message, /execute_notebook_cell/);
      return true;
    });
    await assert.rejects(kernels.kernelForNotebook(NB), /No kernel is running/);
  });

  test('without the Jupyter extension the error says it is not installed', async () => {
    const none = new EditorKernels(new Workspace(root), silentLogger, { jupyterExtensionId: 'nobody.not-installed' });
    await assert.rejects(none.execute(`editor:${NB}`, '1', { timeoutMs: 5000 }), /The Jupyter extension \(nobody\.not-installed\) is not installed/);
    assert.deepEqual((await none.listKernels()).active, []);
  });

  test('a notebook that is not open: clear error', async () => {
    await assert.rejects(kernels.execute('editor:not-open.ipynb', '1', { timeoutMs: 5000 }), /not-open\.ipynb, which is not open in VS Code/);
    assert.equal(await kernels.servesNotebook('not-open.ipynb'), false);
    assert.equal(await runner.serves('not-open.ipynb'), false);
  });

  test('the person runs a cell: the kernel is listed (editor:<path>, idle) and served', async () => {
    await vscode.window.showNotebookDocument(doc);
    await until('the stand-in controller to be registered', async () => {
      void vscode.commands.executeCommand('_notebook.selectKernel', { id: standIn.controllerId, extension: JUPYTER_ID });
      await new Promise((r) => setTimeout(r, 100));
      return standIn.isSelectedFor(doc.uri);
    });
    await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 0, end: 1 }], document: doc.uri });
    await until('cell 0 to finish', () => doc.cellAt(0).executionSummary?.success === true);
    const listed = (await kernels.listKernels()).active.find((k) => k.notebook === NB);
    assert.deepEqual(listed, { id: `editor:${NB}`, name: 'python', state: 'idle', notebook: NB, backend: 'editor' });
    assert.equal(await kernels.servesNotebook(NB), true);
    assert.equal(await runner.serves(NB), true);
    const k = await kernels.kernelForNotebook(NB, 'python3');
    assert.equal(k.id, `editor:${NB}`);
  });

  test('EditorCellRunner runs a cell: outputs returned, shown in the document, execution summary set', async () => {
    const seen: number[] = [];
    const r = await runner.runCell(NB, 0, { timeoutMs: 20_000, onOutput: (_o, n) => seen.push(n) });
    assert.equal(r.status, 'ok');
    assert.equal(r.kernel_id, `editor:${NB}`);
    assert.deepEqual(r.outputs, [{ output_type: 'stream', name: 'stdout', text: 'hello\n' }]);
    const cell = doc.cellAt(0);
    assert.equal(cell.executionSummary?.success, true);
    assert.equal(typeof r.execution_count, 'number');
    assert.equal(cell.executionSummary?.executionOrder, r.execution_count);
    assert.equal(new TextDecoder().decode(cell.outputs[0].items[0].data), 'hello\n');
    assert.ok(seen.length >= 1, 'onOutput was called as outputs arrived');

    const r1 = await runner.runCell(NB, 1, { timeoutMs: 20_000 });
    assert.equal(r1.status, 'ok');
    assert.equal(r1.execution_count, (r.execution_count as number) + 1);
    assert.deepEqual(r1.outputs, [{ output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: r1.execution_count }]);
  });

  test('EditorCellRunner: a failing cell gives status error with the traceback', async () => {
    const r = await runner.runCell(NB, 2, { timeoutMs: 20_000 });
    assert.equal(r.status, 'error');
    assert.equal(r.outputs.length, 1);
    const err = r.outputs[0];
    assert.equal(err.output_type, 'error');
    assert.equal(err.ename, 'ZeroDivisionError');
    assert.equal(err.evalue, 'division by zero');
    assert.ok(Array.isArray(err.traceback) && (err.traceback as string[]).some((l) => l.includes('ZeroDivisionError')));
    assert.equal(doc.cellAt(2).executionSummary?.success, false);
  });

  test('EditorCellRunner: images come back base64, streams keep their names', async () => {
    const r = await runner.runCell(NB, 3, { timeoutMs: 20_000 });
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.outputs, [{ output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': '<image>' }, metadata: {} }]);
    const r2 = await runner.runCell(NB, 6, { timeoutMs: 20_000 });
    assert.deepEqual(r2.outputs, [
      { output_type: 'stream', name: 'stderr', text: 'to stderr\n' },
      { output_type: 'stream', name: 'stdout', text: 'to stdout\n' },
    ]);
  });

  test('EditorCellRunner: a time-out cancels the cell and returns the partial outputs', async () => {
    const started = Date.now();
    // 6 s: long enough for the cell's first print to arrive on a loaded machine (1.5 s was not).
    const r = await runner.runCell(NB, 4, { timeoutMs: 6000 });
    const took = Date.now() - started;
    assert.equal(r.status, 'timeout');
    assert.match(r.message ?? '', /timed out after \d+\.\d s/);
    // Not a speed check (under load this took 8.6 s): the cell sleeps 30 s, and returning before
    // that is what shows the time-out cancelled it instead of waiting for it.
    assert.ok(took < 30_000, `returned after ${took} ms: it waited for the cell's 30 s sleep instead of cancelling it`);
    assert.equal(r.outputs[0]?.output_type, 'stream');
    assert.equal(r.outputs[0]?.text, 'start\n');
    assert.ok(!outputText(r).includes('never'));
    const cell = doc.cellAt(4);
    assert.equal(cell.executionSummary?.success, false, 'the cell ended (interrupted)');
    // The kernel is usable again, with its state.
    const again = await runner.runCell(NB, 1, { timeoutMs: 10_000 });
    assert.equal(again.status, 'ok');
    assert.equal(outputText(again), '42');
  });

  test('EditorCellRunner: aborting (MCP cancellation) stops the cell', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 700);
    const r = await runner.runCell(NB, 4, { timeoutMs: 30_000, signal: ac.signal });
    assert.equal(r.status, 'aborted');
    assert.match(r.message ?? '', /cancelled by the client/);
    assert.equal(outputText(r).startsWith('start\n'), true);
  });

  test('EditorCellRunner refuses markdown cells and missing indexes', async () => {
    await assert.rejects(runner.runCell(NB, 5, { timeoutMs: 5000 }), /not a code cell/);
    await assert.rejects(runner.runCell(NB, 99, { timeoutMs: 5000 }), /there is no cell 99/);
  });

  test('execute (ad hoc) through the Jupyter API: outputs as nbformat, no execution count', async () => {
    const orderBefore = doc.cellAt(1).executionSummary?.executionOrder;
    const r = await kernels.execute(`editor:${NB}`, 'print(x + 1)\nx', { timeoutMs: 60_000 });
    assert.equal(r.status, 'ok');
    assert.equal(r.execution_count, null);
    assert.deepEqual(r.outputs[0], { output_type: 'stream', name: 'stdout', text: '43\n' });
    assert.equal(r.outputs.length, 2);
    assert.deepEqual((r.outputs[1].data as Record<string, unknown>)['text/plain'], '42');
    const img = await kernels.execute(`editor:${NB}`, `display_png("${PNG}")`, { timeoutMs: 10_000 });
    assert.equal((img.outputs[0].data as Record<string, unknown>)['image/png'], PNG);
    const err = await kernels.execute(`editor:${NB}`, 'undefined_name', { timeoutMs: 10_000 });
    assert.equal(err.status, 'error');
    assert.equal(err.outputs[0].ename, 'NameError');
    assert.match(String(err.outputs[0].evalue), /undefined_name/);
    assert.equal(doc.cellAt(1).executionSummary?.executionOrder, orderBefore, 'ad-hoc code does not touch the cells');
  });

  test('execute (ad hoc): a time-out cancels and returns the partial outputs', async () => {
    const started = Date.now();
    // 6 s: long enough for the first print to arrive on a loaded machine (1.5 s was not).
    const r = await kernels.execute(`editor:${NB}`, 'import time\nprint("before", flush=True)\ntime.sleep(30)', { timeoutMs: 6000 });
    assert.equal(r.status, 'timeout');
    // The code sleeps 30 s: returning well before shows it was cancelled (not a speed check).
    assert.ok(Date.now() - started < 25_000, 'it waited for the 30 s sleep instead of cancelling it');
    assert.deepEqual(r.outputs, [{ output_type: 'stream', name: 'stdout', text: 'before\n' }]);
    const after = await kernels.execute(`editor:${NB}`, 'x', { timeoutMs: 10_000 });
    assert.equal(outputText(after), '42', 'the kernel answers again and kept its state');
  });

  test('interrupt_kernel and restart_kernel go through the Jupyter extension commands; stop is refused', async () => {
    // Interrupt once the code runs (its first output), not after a fixed 500 ms that a loaded
    // machine may not have started it in.
    let started!: () => void;
    const running_ = new Promise<void>((r) => (started = r));
    const running = kernels.execute(`editor:${NB}`, 'import time\nprint("sleeping", flush=True)\ntime.sleep(30)', { timeoutMs: 30_000, onOutput: () => started() });
    await running_;
    const t0 = Date.now();
    await kernels.interruptKernel(`editor:${NB}`);
    const r = await running;
    assert.ok(Date.now() - t0 < 25_000, 'the 30 s sleep ran to its end: the interrupt did not stop it');
    assert.equal(r.status, 'error');
    assert.equal(r.outputs.find((o) => o.output_type === 'error')?.ename, 'KeyboardInterrupt');

    await kernels.restartKernel(`editor:${NB}`);
    const gone = await kernels.execute(`editor:${NB}`, 'x', { timeoutMs: 10_000 });
    assert.equal(gone.status, 'error');
    assert.equal(gone.outputs[0]?.ename, 'NameError', 'the restart cleared the state');

    await assert.rejects(kernels.stopKernel(`editor:${NB}`), /cannot shut down the kernel VS Code runs/);
  });

  test('a notebook open but not shown in an editor is not served by the cell runner', async () => {
    const other = 'hidden.ipynb';
    writeNotebook(path.join(root, other), ['1']);
    const hidden = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, other)));
    await vscode.window.showNotebookDocument(doc);
    assert.equal(vscode.window.visibleNotebookEditors.some((e) => e.notebook === hidden), false);
    assert.equal(await runner.serves(other), false);
    await assert.rejects(runner.runCell(other, 0, { timeoutMs: 5000 }), /not shown in an editor/);
  });
});
