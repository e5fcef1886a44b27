// resource_link blocks to the plots a result shows or names, so the person can open them from the
// chat: VS Code lists a result's links under the tool call and opens one through resources/read
// (Claude Code shows them too; Roo Code drops them, Cline ignores them). Each link has audience
// "user": VS Code otherwise reads every image link into the model's context as well, which would
// send a plot the result already carries as an image a second time. A few per result at most.
import { extensionFor, outputUri } from '../common/notebookUris';
import { cellRefId } from '../notebooks/cells';
import type { Notebook, Output } from '../notebooks/nbformat';
import type { ResourceLinkContent } from './tool';

/** Links one result carries at most. */
export const MAX_PLOT_LINKS = 3;

const IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/svg+xml'];

/**
 * Links to the image outputs among `outputs`, the outputs of cell `cellId` from output index
 * `firstIndex` on (a result may show only the outputs since the last answer).
 */
export function plotLinks(path: string, cellId: string, outputs: readonly Output[], firstIndex = 0, max = MAX_PLOT_LINKS): ResourceLinkContent[] {
  const links: ResourceLinkContent[] = [];
  outputs.forEach((o, i) => {
    if (links.length >= max) return;
    const data = (o.data ?? {}) as Record<string, unknown>;
    const mime = IMAGES.find((m) => m in data);
    if (mime) links.push(plotLink(path, cellId, firstIndex + i, mime));
  });
  return links;
}

export function plotLink(path: string, cellId: string, outputIndex: number, mime: string): ResourceLinkContent {
  return {
    type: 'resource_link',
    uri: outputUri(path, cellId, outputIndex, extensionFor(mime)),
    name: `${path} cell ${cellId} output ${outputIndex}`,
    mimeType: mime,
    annotations: { audience: ['user'] },
  };
}

/** Links to the first plots of cells [start, end) of a notebook (a read_notebook page, whose plots are placeholders). */
export function pagePlotLinks(path: string, nb: Readonly<Notebook>, start: number, end: number): ResourceLinkContent[] {
  const links: ResourceLinkContent[] = [];
  for (let i = start; i < end && links.length < MAX_PLOT_LINKS; i++) {
    const cell = nb.cells[i];
    if (cell.cell_type === 'code') links.push(...plotLinks(path, cellRefId(cell, i), (cell.outputs ?? []) as Output[], 0, MAX_PLOT_LINKS - links.length));
  }
  return links;
}
