// Helpers shared by the in-host kernel tests (bundled into each test file by build-host-tests).
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ExecuteResult } from '../../../src/kernels/backend';

/** Writes an nbformat 4.5 notebook of code cells (markdown cells when prefixed with "# md:"). */
export function writeNotebook(file: string, sources: string[]): void {
  const cells = sources.map((s, i) =>
    s.startsWith('# md:')
      ? { cell_type: 'markdown', id: `c${i}`, metadata: {}, source: s.slice(5) }
      : { cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source: s },
  );
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    cells,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

/** The text a run printed: streams, error names and values, text/plain results. */
export function outputText(r: ExecuteResult): string {
  return r.outputs
    .map((o) => {
      if (o.output_type === 'stream') return String(o.text);
      if (o.output_type === 'error') return `${String(o.ename)}: ${String(o.evalue)}`;
      return String(((o.data ?? {}) as Record<string, unknown>)['text/plain'] ?? '');
    })
    .join('');
}

/**
 * Resolves once `check` holds. It is tried again on every change VS Code reports (notebook and
 * text edits, saves, execution state, editor focus) and every 250 ms for anything else, so a test
 * waits exactly as long as the host needs: on a loaded machine a save can take seconds, and a
 * short fixed limit fails tests that would pass. `timeoutMs` only guards against a hang.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let wake: () => void = () => undefined;
  const nudge = (): void => wake();
  const subscriptions = [
    vscode.workspace.onDidChangeNotebookDocument(nudge),
    vscode.workspace.onDidSaveNotebookDocument(nudge),
    vscode.workspace.onDidChangeTextDocument(nudge),
    vscode.window.onDidChangeActiveTextEditor(nudge),
    vscode.window.onDidChangeActiveNotebookEditor(nudge),
  ];
  try {
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    for (const s of subscriptions) s.dispose();
  }
}
