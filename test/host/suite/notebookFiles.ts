// Notebook files for the in-host kernel tests (bundled into each test file by build-host-tests);
// waiting and MCP clients: helpers.ts.
import * as fs from 'node:fs';
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
