// execute_notebook on a notebook OPEN in the editor whose kernel is our "Jupyter MCP" controller
// (issue #12, "the editor path gets the same where VS Code can run a range in one command"): the
// code cells go to VS Code as ranges of one notebook.cell.execute, so the editor queues them all at
// once, as the person's "Run All" does, instead of one command per cell. Every semantic of the tool
// stays: per-cell results and outputs, markdown and empty cells skipped, stop at the first error or
// continue_on_error (a new range after the failing cell), per-cell time-outs, and runs (status
// "running", wait_for_run, cancel_run stops before the next cell). In a REAL extension host, with a
// real MCP client over HTTP and a real Jupyter server (Debian's jupyter_server) started here.
// Skipped when /usr/bin/python3 cannot import jupyter_server and ipykernel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JupyterMcpApi } from '../../../src/extension';
import { CONTROLLER_ID } from '../../../src/editor/controller';
import type { EditorKernels } from '../../../src/editor/editorKernels';
import type { LocalJupyter } from '../../../src/kernels/localServer';
import { EXTENSION_ID, startConnectedRuntime, stopConnectedRuntime } from './connectedRuntime';
import { writeNotebook } from './notebookFiles';
import { connectMcpClient, until } from './helpers';


/** The text of a cell's outputs as the editor holds them. */
function cellText(doc: vscode.NotebookDocument, index: number): string {
  return doc
    .cellAt(index)
    .outputs.flatMap((o) => o.items.map((it) => new TextDecoder().decode(it.data)))
    .join('');
}

/** A cell printing `first`, then waiting (at most 120 s) for `stopFile`. */
function waitingCell(stopFile: string, first: string): string {
  return `import os, time\nprint(${JSON.stringify(first)}, flush=True)\nfor _ in range(600):\n    if os.path.exists(${JSON.stringify(stopFile)}): break\n    time.sleep(0.2)`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Structured = any;

suite('execute_notebook through the editor: one range request for the code cells (issue #12)', function () {
  this.timeout(120_000);
  let root: string;
  let api: JupyterMcpApi;
  let kernels: EditorKernels;
  let jupyter: LocalJupyter | undefined;
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  async function call(name: string, args: Record<string, unknown>): Promise<Structured> {
    const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 100_000 })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: unknown };
    if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
    return r.structuredContent;
  }

  /** Writes, opens and shows a notebook, with our controller as its kernel. */
  async function open(name: string, sources: string[]): Promise<vscode.NotebookDocument> {
    writeNotebook(path.join(root, name), sources);
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, name)));
    await vscode.window.showNotebookDocument(doc);
    await until('our controller to be selected', async () => {
      void vscode.commands.executeCommand('_notebook.selectKernel', { id: CONTROLLER_ID, extension: EXTENSION_ID });
      await new Promise((r) => setTimeout(r, 100));
      return kernels.usesOurController(doc);
    });
    return doc;
  }

  suiteSetup(async function () {
    ({ api, root, jupyter, kernels } = await startConnectedRuntime(this));
    ({ client, transport } = await connectMcpClient(api, 'host-ranges-test'));
  });

  suiteTeardown(() => stopConnectedRuntime(api, jupyter, { client, transport }));

  test('all code cells are queued at once (as "Run All"); markdown and empty cells skipped; per-cell outputs and counts', async () => {
    const stop = path.join(root, 'stop-ranges-1');
    fs.writeFileSync(stop, '');
    const doc = await open('ranges-all.ipynb', [waitingCell(stop, 'waiting'), '# md:Some *notes*', 'print("two")', '', 'x = 5\nprint("four")']);
    // A first run gives every code cell an ended execution (timing) to compare with.
    const warm = await call('execute_notebook', { path: 'ranges-all.ipynb' });
    assert.equal(warm.success, true, JSON.stringify(warm));
    assert.ok(doc.cellAt(4).executionSummary?.timing?.endTime, 'cell 4 ran');
    fs.rmSync(stop);
    try {
      const first = await call('execute_notebook', { path: 'ranges-all.ipynb', wait_seconds: 1 });
      assert.equal(first.status, 'running', JSON.stringify(first));
      await until('cell 0 to print', () => cellText(doc, 0) === 'waiting\n');
      // While cell 0 still runs, VS Code already holds the later cells as queued (it resets their
      // summary when it queues them): one request for all. Cell by cell, cell 4 would keep its
      // first run's summary until cells 0 and 2 had ended.
      await until('cells 2 and 4 to be queued while cell 0 runs', () => !doc.cellAt(2).executionSummary?.timing && !doc.cellAt(4).executionSummary?.timing, 30_000);
      assert.equal(doc.cellAt(0).executionSummary?.timing?.endTime, undefined, 'cell 0 is still running');
      fs.writeFileSync(stop, '');
      let final: Structured = await call('wait_for_run', { run_id: first.run_id, wait_seconds: 90 });
      while (!final.done) final = await call('wait_for_run', { run_id: first.run_id, wait_seconds: 90 });
      assert.equal(final.success, true, JSON.stringify(final));
      assert.equal(final.code_cells, 3);
      assert.equal(final.executed, 3);
      assert.equal(final.error_count, 0);
      assert.equal(final.cell_count, 5);
      assert.equal(final.kernel_id, kernels.controller!.kernelIdFor(doc));
      assert.equal(cellText(doc, 2), 'two\n');
      assert.equal(cellText(doc, 4), 'four\n');
      const counts = [0, 2, 4].map((i) => doc.cellAt(i).executionSummary?.executionOrder);
      assert.deepEqual(counts, [counts[0], counts[0]! + 1, counts[0]! + 2], `execution counts in order: ${JSON.stringify(counts)}`);
      assert.equal(doc.cellAt(3).executionSummary?.executionOrder, undefined, 'the empty code cell was not run');
      assert.equal(doc.cellAt(3).outputs.length, 0);
    } finally {
      fs.rmSync(stop, { force: true });
    }
  });

  test('stops at the first error: the cells after it are not run, and the result names the failing cell', async () => {
    const doc = await open('ranges-error.ipynb', ['print("a")', '1/0', 'print("never")']);
    const r = await call('execute_notebook', { path: 'ranges-error.ipynb' });
    assert.equal(r.success, false);
    assert.equal(r.executed, 2);
    assert.equal(r.error_count, 1);
    assert.equal(r.failed_cell.index, 1);
    assert.equal(r.failed_cell.ename, 'ZeroDivisionError');
    assert.match(r.failed_cell.output, /ZeroDivisionError/);
    assert.match(r.message, /stopped with 1 failing cell/);
    assert.equal(cellText(doc, 0), 'a\n');
    assert.equal(doc.cellAt(1).executionSummary?.success, false);
    assert.equal(doc.cellAt(2).outputs.length, 0, 'the cell after the error did not run');
    assert.notEqual(doc.cellAt(2).executionSummary?.success, true);
  });

  test('continue_on_error: the cells after a failing one run (a new range), each with its result', async () => {
    const doc = await open('ranges-continue.ipynb', ['print("a")', '1/0', 'print("after")', 'undefined_name', 'print("last")']);
    const r = await call('execute_notebook', { path: 'ranges-continue.ipynb', continue_on_error: true });
    assert.equal(r.success, false);
    assert.equal(r.executed, 5);
    assert.equal(r.error_count, 2);
    assert.equal(r.failed_cell.index, 1, 'the first failing cell is reported');
    assert.match(r.message, /finished with 2 failing cells/);
    assert.equal(cellText(doc, 2), 'after\n');
    assert.equal(cellText(doc, 4), 'last\n');
    assert.equal(doc.cellAt(3).executionSummary?.success, false);
  });

  test('a per-cell time-out interrupts that cell; with continue_on_error the next cell still runs', async () => {
    const doc = await open('ranges-timeout.ipynb', ['import time\nprint("slow", flush=True)\ntime.sleep(30)\nprint("never")', 'print("after")']);
    const started = Date.now();
    const r = await call('execute_notebook', { path: 'ranges-timeout.ipynb', timeout: 5, continue_on_error: true });
    // The cell sleeps 30 s: ending well before shows the time-out interrupted it (not a speed check).
    assert.ok(Date.now() - started < 28_000, 'it waited for the 30 s sleep instead of interrupting it');
    assert.equal(r.executed, 2, JSON.stringify(r));
    assert.equal(r.error_count, 1);
    assert.equal(r.failed_cell.index, 0);
    // The controller ends an interrupted cell with a KeyboardInterrupt error output, which names it.
    assert.match(r.failed_cell.ename, /^(Timeout|KeyboardInterrupt)$/);
    assert.notEqual(doc.cellAt(0).executionSummary?.success, true);
    assert.ok(!cellText(doc, 0).includes('never'));
    assert.equal(cellText(doc, 1), 'after\n');
  });

  test('cancel_run stops the running cell and runs nothing after it', async () => {
    const stop = path.join(root, 'stop-ranges-never');
    fs.rmSync(stop, { force: true });
    const doc = await open('ranges-cancel.ipynb', [waitingCell(stop, 'tick'), 'print("next")', 'print("last")']);
    const first = await call('execute_notebook', { path: 'ranges-cancel.ipynb', wait_seconds: 1 });
    assert.equal(first.status, 'running', JSON.stringify(first));
    await until('cell 0 to print', () => cellText(doc, 0) === 'tick\n');
    const r = await call('cancel_run', { run_id: first.run_id });
    assert.equal(r.done, true, JSON.stringify(r));
    assert.equal(r.success, false);
    assert.match(r.message, /cancelled/);
    await until('cell 0 to end', () => !!doc.cellAt(0).executionSummary?.timing?.endTime);
    assert.equal(doc.cellAt(1).outputs.length, 0, 'the next cell did not run');
    assert.equal(doc.cellAt(2).outputs.length, 0);
    // The kernel is free again for the agent.
    const again = await call('execute_notebook_cell', { path: 'ranges-cancel.ipynb', cell_index: 1 });
    assert.equal(again.status, 'ok');
    assert.equal(cellText(doc, 1), 'next\n');
  });
});
