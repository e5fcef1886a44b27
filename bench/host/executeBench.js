// Runs INSIDE the real VS Code extension host (code-server), loaded as `extensionTestsPath` by
// bench/editorExecute.ts. Plain CommonJS: no build step.
// Measures execute_notebook (through the extension's own MCP server over HTTP, no kernel_id) on a
// notebook of trivial code cells OPEN in the editor with the "Jupyter MCP" controller as its kernel:
// the cells run through VS Code (notebook.cell.execute) on the Jupyter server given in
// JMCP_BENCH_JUPYTER_URL / _TOKEN. Result: one line `[Extension Host] JMCP_BENCH {json}`.
const vscode = require('vscode');
const path = require('path');
const { mcpClient, reportErrors, waitFor } = require('./mcpClient');

const EXTENSION_ID = 'jupyter-mcp.jupyter-mcp';
const CONTROLLER_ID = 'jupyterMcp.jupyterServer';
const RUNS = Number(process.env.JMCP_BENCH_RUNS) || 5;


async function run() {
  const api = await vscode.extensions.getExtension(EXTENSION_ID).activate();
  const root = vscode.workspace.workspaceFolders[0].uri.fsPath;
  await api.server.stop();
  await vscode.workspace.getConfiguration('jupyterMcp').update('port', 0, vscode.ConfigurationTarget.Global);
  await api.server.start();
  await api.server.connectJupyter(process.env.JMCP_BENCH_JUPYTER_URL, process.env.JMCP_BENCH_JUPYTER_TOKEN);
  const client = await mcpClient(api.server.url, await api.server.authToken());
  const out = { runs: RUNS, cases: {} };
  for (const n of (process.env.JMCP_BENCH_CELLS || '50,200').split(',').map(Number)) {
    const file = `cells-${n}.ipynb`;
    const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(path.join(root, file)));
    await vscode.window.showNotebookDocument(doc);
    for (let i = 0; i < 5; i++) {
      await vscode.commands.executeCommand('_notebook.selectKernel', { id: CONTROLLER_ID, extension: EXTENSION_ID }).then(undefined, () => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    // The first run starts the notebook's kernel: not counted.
    const first = await client.call('execute_notebook', { path: file, wait_seconds: 600 });
    if (!first.success || first.executed !== n) throw new Error(`warm-up run: ${JSON.stringify(first).slice(0, 300)}`);
    // Only VS Code's own executions set a cell's timing: the cells ran through the editor, not the
    // Jupyter path (which also ends in the document, through the editor store).
    if (!doc.cellAt(0).executionSummary || !doc.cellAt(0).executionSummary.timing) throw new Error('the cells did not run through VS Code (our controller not selected?)');
    const ms = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await client.call('execute_notebook', { path: file, wait_seconds: 600 });
      ms.push(performance.now() - t);
      if (!r.success || r.executed !== n) throw new Error(`run ${i}: ${JSON.stringify(r).slice(0, 300)}`);
    }
    const s = [...ms].sort((a, b) => a - b);
    out.cases[n] = { p50: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], perCellP50: s[Math.floor(s.length / 2)] / n, kernel: first.kernel_id };
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
  await api.server.disconnectJupyter();
  console.log(`[Extension Host] JMCP_BENCH ${JSON.stringify(out)}`);
}

module.exports = { run: () => reportErrors(run) };
