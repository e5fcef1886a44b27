// Issue #12, "must show": a long cell of a notebook OPEN in the editor, run by the agent, shows its
// outputs in the editor while it runs. In a REAL extension host, with a real MCP client over HTTP
// to the extension's own server and a real Jupyter server (Debian's jupyter_server) started here.
// Two paths an open notebook takes:
//   (b) no kernel picked in the editor: the cell runs in the notebook's Jupyter session kernel and
//       the tool writes the outputs so far into the open document (LiveSave through the editor store);
//   (a) the notebook's kernel is our "Jupyter MCP" controller: the cell runs through VS Code
//       (notebook.cell.execute) and the controller streams the outputs into the cell.
// The long cell prints a line every 0.5 s until the test creates a stop file (so "still running"
// never depends on the machine's speed), then prints "done".
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

const NB = 'live-runs.ipynb';

/** A cell printing "tick <i>" every 0.5 s until `stopFile` exists (at most 120 s), then "done". */
function longCell(stopFile: string): string {
  return [
    'import os, time',
    'i = 0',
    `while not os.path.exists(${JSON.stringify(stopFile)}) and i < 240:`,
    '    print(f"tick {i}", flush=True)',
    '    i += 1',
    '    time.sleep(0.5)',
    'print("done", flush=True)',
  ].join('\n');
}

/** The text of a cell's outputs as the editor holds them (all items, decoded). */
function cellText(cell: vscode.NotebookCell): string {
  return cell.outputs.flatMap((o) => o.items.map((it) => new TextDecoder().decode(it.data))).join('');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Structured = any;

suite('Long runs of an open notebook: outputs in the editor while the cell runs (issue #12)', function () {
  this.timeout(120_000);
  let root: string;
  let api: JupyterMcpApi;
  let kernels: EditorKernels;
  let jupyter: LocalJupyter | undefined;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  let doc: vscode.NotebookDocument;

  async function call(name: string, args: Record<string, unknown>): Promise<Structured> {
    const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 100_000 })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: unknown };
    if (r.isError) throw new Error(`${name}: ${r.content.map((c) => c.text).join(' ')}`);
    return r.structuredContent;
  }

  /**
   * The agent runs cell `index` with a 1 s wait: the call answers "running"; meanwhile the test
   * records every state of the cell's outputs the document goes through, waits until it holds two
   * ticks, checks the run is still going, lets the cell end, and returns what wait_for_run gives.
   */
  async function runLongCellAndWatch(index: number, stopFile: string): Promise<{ first: Structured; final: Structured; seen: string[] }> {
    fs.rmSync(stopFile, { force: true });
    // Looked up at each use: the editor store writes outputs by replacing the cell (the stable API
    // has no other way), so the NotebookCell object of an earlier look may be gone.
    const text = () => cellText(doc.cellAt(index));
    const seen: string[] = [];
    const sub = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook === doc) seen.push(text());
    });
    try {
      const first = await call('execute_notebook_cell', { path: NB, cell_index: index, wait_seconds: 1, timeout: 110 });
      assert.equal(first.status, 'running', `the 1 s wait should answer "running": ${JSON.stringify(first)}`);
      assert.ok(first.run_id, 'a "running" answer carries a run_id');
      // Live outputs: the document shows the cell's first lines while the cell still runs.
      try {
        await until('the open document to show the running cell\'s first two lines', () => /tick 0\n[^]*tick 1\n/.test(text()), 60_000);
      } catch (e) {
        // What the run saw meanwhile tells a kernel that printed nothing from outputs that never reached the document.
        const now = await call('wait_for_run', { run_id: first.run_id, wait_seconds: 0 }).catch((x: Error) => x.message);
        throw new Error(`${(e as Error).message}; the document shows ${JSON.stringify(text())}; the run: ${JSON.stringify(now).slice(0, 600)}`);
      }
      const live = text();
      assert.ok(!live.includes('done'), `the cell ended before the test let it: ${live}`);
      const runs = await call('list_runs', {});
      assert.ok(
        JSON.stringify(runs).includes(first.run_id),
        `the run is listed while its outputs show in the editor: ${JSON.stringify(runs)}`,
      );
      fs.writeFileSync(stopFile, '');
      let final: Structured = await call('wait_for_run', { run_id: first.run_id, wait_seconds: 90 });
      // wait_for_run may answer "running" again on a slow machine (its own wait ended first).
      while (!final.done) final = await call('wait_for_run', { run_id: first.run_id, wait_seconds: 90 });
      return { first, final, seen };
    } finally {
      sub.dispose();
      fs.rmSync(stopFile, { force: true });
    }
  }

  function assertAllLines(first: Structured, final: Structured, cell: vscode.NotebookCell, seen: string[]): void {
    assert.equal(final.status, 'ok', JSON.stringify(final));
    assert.equal(final.done, true);
    // The "running" answer gave the outputs so far, wait_for_run the rest (nothing twice).
    const text = [...first.outputs, ...final.outputs].map((o: { text?: string }) => o.text ?? '').join('');
    assert.match(text, /^tick 0\ntick 1\n[^]*done\n$/, 'the "running" answer and wait_for_run together give every line once');
    const doc = cellText(cell);
    assert.match(doc, /^tick 0\ntick 1\n[^]*done\n$/, `the document holds every line at the end: ${doc}`);
    // The editor showed a state with the first line and without the last one: outputs arrived live.
    assert.ok(
      seen.some((s) => s.includes('tick 0') && !s.includes('done')),
      `no state of the document showed the cell's outputs before it ended: ${JSON.stringify(seen)}`,
    );
  }

  suiteSetup(async function () {
    ({ api, root, jupyter, kernels } = await startConnectedRuntime(this));
    writeNotebook(path.join(root, NB), [longCell(path.join(root, 'stop-b')), longCell(path.join(root, 'stop-a'))]);
    doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, NB)));
    await vscode.window.showNotebookDocument(doc);
    ({ client, transport } = await connectMcpClient(api, 'host-live-runs-test'));
  });

  suiteTeardown(() => stopConnectedRuntime(api, jupyter, { client, transport }));

  test('(b) no kernel picked in the editor: the Jupyter kernel runs the cell and its outputs reach the open document as they arrive', async () => {
    assert.equal(kernels.usesOurController(doc), false, 'no editor kernel is picked yet');
    const { first, final, seen } = await runLongCellAndWatch(0, path.join(root, 'stop-b'));
    assert.doesNotMatch(String(final.kernel_id), /^editor/, 'the cell ran in the Jupyter server kernel, not an editor one');
    assertAllLines(first, final, doc.cellAt(0), seen);
    assert.equal(typeof final.execution_count, 'number', 'the final save sets the execution count');
    assert.equal(doc.cellAt(0).executionSummary?.executionOrder, final.execution_count);
  });

  test('(a) our "Jupyter MCP" controller is the notebook\'s kernel: the cell runs through VS Code and streams into the document', async () => {
    await vscode.window.showNotebookDocument(doc);
    await until('our controller to be selected', async () => {
      void vscode.commands.executeCommand('_notebook.selectKernel', { id: CONTROLLER_ID, extension: EXTENSION_ID });
      await new Promise((r) => setTimeout(r, 100));
      return kernels.usesOurController(doc);
    });
    const { first, final, seen } = await runLongCellAndWatch(1, path.join(root, 'stop-a'));
    assert.equal(final.kernel_id, kernels.controller!.kernelIdFor(doc), 'the cell ran through the editor\'s controller');
    assertAllLines(first, final, doc.cellAt(1), seen);
    // VS Code marks the run in the cell itself (its execution summary), as for a person's run.
    assert.equal(doc.cellAt(1).executionSummary?.success, true);
    assert.equal(doc.cellAt(1).executionSummary?.executionOrder, final.execution_count);
  });
});
