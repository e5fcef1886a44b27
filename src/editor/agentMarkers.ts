// The person sees which cells an agent added, changed or ran: a cell status bar item on each,
// "Roo Code · edited · 2 min ago", until the person edits that cell (its text no longer matches
// what the agent left) or accepts the agent's changes. What the agent did comes from the
// editor-free record (agents/changes.ts); this file only shows it.
import * as vscode from 'vscode';
import type { AgentChanges } from '../agents/changes';
import { textPrint } from '../agents/prints';
import type { Workspace } from '../notebooks/paths';
import { JUPYTER_NOTEBOOK_TYPE } from './documentStore';

/** The command a marker runs when clicked (package.json contributes it). */
export const REVIEW_COMMAND = 'jupyterMcp.reviewAgentChanges';

export class AgentMarkers implements vscode.NotebookCellStatusBarItemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCellStatusBarItems = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly stopListening: () => void;
  private timer: NodeJS.Timeout | undefined;
  /** Print of a cell's text per document version: computed once per change of the cell. */
  private readonly prints = new WeakMap<vscode.TextDocument, { version: number; print: string }>();

  constructor(
    private readonly changes: AgentChanges,
    private readonly workspace: Workspace,
  ) {
    this.disposables.push(
      vscode.notebooks.registerNotebookCellStatusBarItemProvider(JUPYTER_NOTEBOOK_TYPE, this),
      // The person typing in a marked cell takes its marker away.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme === 'vscode-notebook-cell' && e.contentChanges.length > 0 && this.anyMarks()) this.refreshSoon();
      }),
    );
    this.stopListening = changes.onDidChange(() => this.refreshSoon());
    // "2 min ago" grows old: refreshed every minute while there are markers.
    this.timer = setInterval(() => {
      if (this.anyMarks()) this.emitter.fire();
    }, 60_000);
  }

  private anyMarks(): boolean {
    return this.changes.any();
  }

  private refreshPending: NodeJS.Timeout | undefined;
  private refreshSoon(): void {
    if (this.refreshPending) return;
    this.refreshPending = setTimeout(() => {
      this.refreshPending = undefined;
      this.emitter.fire();
    }, 100);
  }

  provideCellStatusBarItems(cell: vscode.NotebookCell): vscode.NotebookCellStatusBarItem[] {
    const doc = cell.notebook;
    if (doc.uri.scheme !== 'file') return [];
    const rel = this.workspace.relative(doc.uri.fsPath);
    if (!this.changes.has(rel)) return [];
    const id = (cell.metadata as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return [];
    const mark = this.changes.markOf(rel, id);
    if (!mark || mark.print !== this.printOf(cell)) return [];
    const what = mark.kinds.join(', ');
    const item = new vscode.NotebookCellStatusBarItem(`$(hubot) ${mark.agent} · ${what} · ${ago(mark.at)}`, vscode.NotebookCellStatusBarAlignment.Left);
    item.tooltip =
      `${mark.agent} ${what} this cell at ${new Date(mark.at).toLocaleTimeString()}. ` +
      'Click to review the agent changes of this notebook. "Jupyter MCP: Accept Agent Changes" removes these markers; "Revert Agent Changes" takes the changes back (your own edits stay).';
    item.command = { command: REVIEW_COMMAND, title: 'Review Agent Changes', arguments: [doc.uri] };
    item.accessibilityInformation = { label: `Changed by ${mark.agent}: ${what}, ${ago(mark.at)}` };
    return [item];
  }

  /** The print of a cell as the person has it now (same function as for the agent's cells). */
  private printOf(cell: vscode.NotebookCell): string {
    const text = cell.document;
    const hit = this.prints.get(text);
    if (hit && hit.version === text.version) return hit.print;
    const type = cell.kind === vscode.NotebookCellKind.Markup ? 'markdown' : text.languageId === 'raw' ? 'raw' : 'code';
    const print = textPrint(text.getText(), type);
    this.prints.set(text, { version: text.version, print });
    return print;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.refreshPending) clearTimeout(this.refreshPending);
    this.stopListening();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.emitter.dispose();
  }
}

/** "just now", "2 min ago", "3 h ago", or the date. */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}
