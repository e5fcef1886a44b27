// The notebooks the "what the model sees" tests and bench read: the real fixtures (written by
// Jupyter itself, test/fixtures/make_fixtures.py) plus generated ones (471 cells ≈ 2.8 MB, 5,000
// cells, one cell with a 20,000-line stream output).
import { writeFileSync } from 'fs';
import * as path from 'path';
import { emptyNotebook, serializeNotebook, splitLines, type Notebook } from '../../src/notebooks/nbformat';
import { writeLargeNotebook } from '../fixtures/generate-large';

/**
 * Fixtures of test/fixtures a model meets every day: a small analysis with plots, long outputs
 * (arrays, a 1,500-line log, an HTML table, JSON, plots), errors and both streams (tracebacks,
 * warnings, a progress line), and rich metadata (widget state, tags, attachments), plus Unicode.
 */
export const MODEL_FIXTURES = ['analysis.ipynb', 'big-outputs.ipynb', 'errors-and-streams.ipynb', 'rich-metadata.ipynb', 'unicode.ipynb'] as const;

/** Twenty thousand lines as a training loop prints them (≈ 0.9 MB of text). */
export function longStreamText(lines = 20_000): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`step ${i} loss=${(1 / (i + 1)).toFixed(6)} acc=${(i / lines).toFixed(4)}\n`);
  return out.join('');
}

export function longOutputNotebook(lines = 20_000): Notebook {
  const nb = emptyNotebook({ name: 'python3' });
  nb.cells.push(
    { cell_type: 'markdown', id: 'intro', metadata: {}, source: splitLines('# Training log\nThe loop below prints one line per step.') },
    {
      cell_type: 'code',
      id: 'train',
      metadata: {},
      execution_count: 1,
      source: splitLines(`for i in range(${lines}):\n    print(f"step {i} loss={1/(i+1):.6f} acc={i/${lines}:.4f}")`),
      outputs: [{ output_type: 'stream', name: 'stdout', text: splitLines(longStreamText(lines)) }],
    },
    { cell_type: 'code', id: 'after', metadata: {}, execution_count: 2, source: splitLines('print("done")'), outputs: [{ output_type: 'stream', name: 'stdout', text: ['done\n'] }] },
  );
  return nb;
}

/** Writes the generated notebooks into `dir`; returns their names. */
export function writeModelFixtures(dir: string): { big471: string; big5000: string; longOutput: string } {
  writeLargeNotebook(path.join(dir, 'big471.ipynb'), { cells: 471, seed: 1 });
  writeLargeNotebook(path.join(dir, 'big5000.ipynb'), { cells: 5000, seed: 2 });
  writeFileSync(path.join(dir, 'long-output.ipynb'), serializeNotebook(longOutputNotebook()));
  return { big471: 'big471.ipynb', big5000: 'big5000.ipynb', longOutput: 'long-output.ipynb' };
}
