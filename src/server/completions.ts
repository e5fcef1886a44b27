// completion/complete values for prompt arguments and resource-template variables: notebook paths
// under the root, the cell ids of a notebook, the outputs of a cell. Completion never fails the
// person typing: a path that names no notebook yet completes to nothing.
import { cellRefId, firstLine, resolveCell } from '../notebooks/cells';
import { MAX_LISTED, type NotebookChanges } from '../notebooks/changes';
import type { Output } from '../notebooks/nbformat';
import type { NotebookStore, NotebookSummary } from '../notebooks/store';
import { extensionFor } from '../common/notebookUris';

export interface CompletionSources {
  notebooks: NotebookStore;
  changes?: NotebookChanges;
}

/**
 * Every notebook under the root, sorted by path (the change source's cached listing when there is
 * one; `stale` lets completion use one up to a minute old rather than walk the tree while the
 * person types).
 */
export async function allNotebooks(src: CompletionSources, stale = false): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
  if (src.changes) return src.changes.listing({ stale });
  const res = await src.notebooks.list('.', { recursive: true, limit: MAX_LISTED });
  return { notebooks: [...res.notebooks].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), truncated: res.truncated };
}

/**
 * Notebook paths for what was typed: those starting with it first, then those whose file name
 * starts with it, then those containing it (case-insensitive). The SDK sends the first 100 and
 * the total.
 */
export async function completeNotebookPath(src: CompletionSources, typed: string | undefined): Promise<string[]> {
  const v = (typed ?? '').trim().toLowerCase();
  let list: NotebookSummary[];
  try {
    list = (await allNotebooks(src, true)).notebooks;
  } catch {
    return [];
  }
  if (!v) return list.map((n) => n.path);
  const starts: string[] = [];
  const names: string[] = [];
  const contains: string[] = [];
  for (const n of list) {
    const p = n.path.toLowerCase();
    if (p.startsWith(v)) starts.push(n.path);
    else if (p.slice(p.lastIndexOf('/') + 1).startsWith(v)) names.push(n.path);
    else if (p.includes(v)) contains.push(n.path);
  }
  return [...starts, ...names, ...contains];
}

/** Cell ids of the notebook at `path` for what was typed: ids starting with it, then cells whose first line contains it. */
export async function completeCellId(src: CompletionSources, path: string | undefined, typed: string | undefined): Promise<string[]> {
  if (!path) return [];
  let cells;
  try {
    cells = (await src.notebooks.read(path)).notebook.cells;
  } catch {
    return [];
  }
  const v = (typed ?? '').trim().toLowerCase();
  const ids = cells.map((c, i) => ({ id: cellRefId(c, i), line: firstLine(c).toLowerCase() }));
  if (!v) return ids.map((c) => c.id);
  return [...ids.filter((c) => c.id.toLowerCase().startsWith(v)), ...ids.filter((c) => !c.id.toLowerCase().startsWith(v) && c.line.includes(v))].map((c) => c.id);
}

/** Output names of a cell ("0", "0.png", …) for what was typed. */
export async function completeOutput(src: CompletionSources, path: string | undefined, cellId: string | undefined, typed: string | undefined): Promise<string[]> {
  if (!path || !cellId) return [];
  let outputs: Output[];
  try {
    const nb = (await src.notebooks.read(path)).notebook;
    const cell = nb.cells[resolveCell(nb, { cell_id: cellId })];
    outputs = (cell.outputs ?? []) as Output[];
  } catch {
    return [];
  }
  const names: string[] = [];
  outputs.forEach((o, i) => {
    names.push(String(i));
    for (const mime of Object.keys((o.data ?? {}) as Record<string, unknown>)) {
      const ext = extensionFor(mime);
      if (ext && !names.includes(`${i}.${ext}`)) names.push(`${i}.${ext}`);
    }
  });
  const v = (typed ?? '').trim().toLowerCase();
  return names.filter((n) => n.startsWith(v));
}
