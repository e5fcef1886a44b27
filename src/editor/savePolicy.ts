// The save policy of the open-notebook store. An agent's edit always goes into the document, never
// around it to the file, so unsaved changes the person made stay. After an edit the document is
// saved (when `saveAfterEdit()` says so) only if that writes nothing but agent work: it was clean
// before the edit, or only agent edits made it dirty. If the person has unsaved typing in it
// (maybe half-done), it is left unsaved and the tool result says so (`notice`): saving their work
// is their call. VS Code's save refuses (returns false) when the file changed on disk since it was
// loaded; we never force it.
import * as vscode from 'vscode';
import type { Logger } from '../util/log';
import { addCallNote } from '../util/callNotes';

/** Delay between an agent's last edit of an open notebook and its save (jupyterMcp.saveAfterEdit). */
const SAVE_DELAY_MS = 300;
/** Told to the agent (result `notice`) when an open notebook is left unsaved on purpose. */
export const NOT_SAVED_NOTICE =
  'Not saved: the notebook has unsaved changes made in the editor, and saving would write them too. Your edit is in the editor (the person can undo it); the file on disk is unchanged until the person saves.';

export interface SavePolicyOptions {
  /** Whether to save the document after an agent's edit (setting jupyterMcp.saveAfterEdit). Default: true. */
  saveAfterEdit?: () => boolean;
  log?: Logger;
}

export class SavePolicy {
  /**
   * Documents whose cells or cell text were changed by someone else than our edits (the person
   * typing, adding or deleting cells, undoing) since they were last saved. Outputs, execution
   * summaries and metadata (cells run, vscode.ipynb's syncs) are not typing and do not count.
   */
  private readonly typed = new WeakSet<vscode.NotebookDocument>();
  /** Documents seen clean since this store exists: for the others, what made them dirty is unknown. */
  private readonly seenClean = new WeakSet<vscode.NotebookDocument>();
  /** Documents while our own WorkspaceEdit is being applied (its change events are ours). */
  private readonly applying = new WeakSet<vscode.NotebookDocument>();
  private readonly saveTimers = new Map<vscode.NotebookDocument, { timer: NodeJS.Timeout; rel: string }>();

  constructor(private readonly opts: SavePolicyOptions) {}

  /** A cell's text changed (`typing`: its content, not only its version): the person's, unless ours is being applied. */
  cellTextChanged(doc: vscode.NotebookDocument, typing: boolean): void {
    if (typing && !this.applying.has(doc)) this.typed.add(doc);
  }

  /** A change of the notebook that is not ours (nor vscode.ipynb's execution-count reset). */
  notebookChanged(e: vscode.NotebookDocumentChangeEvent): void {
    const doc = e.notebook;
    if (this.applying.has(doc)) return;
    // Outputs, execution summaries and metadata change when cells run or vscode.ipynb syncs:
    // not the person's typing. Text and cell structure are.
    if (e.contentChanges.length > 0 || e.cellChanges.some((c) => c.document !== undefined)) this.typed.add(doc);
    else if (!doc.isDirty) this.sawClean(doc);
  }

  sawClean(doc: vscode.NotebookDocument): void {
    this.typed.delete(doc);
    this.seenClean.add(doc);
  }

  /** Edits waiting for their save are saved now rather than dropped. */
  dispose(): void {
    for (const [doc, t] of this.saveTimers) {
      clearTimeout(t.timer);
      void this.saveIfWanted(doc, t.rel);
    }
    this.saveTimers.clear();
  }

  /** Applies one WorkspaceEdit of ours; change events it causes are not the person's. */
  async apply(doc: vscode.NotebookDocument, edit: vscode.WorkspaceEdit): Promise<boolean> {
    this.applying.add(doc);
    try {
      return await vscode.workspace.applyEdit(edit);
    } finally {
      this.applying.delete(doc);
    }
  }

  /**
   * Whether saving after the agent's next edit writes only agent work: the document is clean, or
   * only our edits made it dirty. Otherwise the save would also write what the person typed and
   * has not saved (maybe half-done), which is theirs to decide.
   */
  saveAllowed(doc: vscode.NotebookDocument): boolean {
    if (!doc.isDirty) {
      this.sawClean(doc);
      return true;
    }
    return this.seenClean.has(doc) && !this.typed.has(doc);
  }

  /** After an agent edit: save soon if that writes only agent work, else say that it stays unsaved. */
  saved(doc: vscode.NotebookDocument, rel: string, saveAllowed: boolean): void {
    if (!(this.opts.saveAfterEdit?.() ?? true) || doc.isUntitled) return;
    if (saveAllowed) {
      this.saveSoon(doc, rel);
    } else {
      addCallNote(NOT_SAVED_NOTICE);
    }
  }

  /**
   * Saves shortly after the last edit instead of inside each one: VS Code takes from tens of ms
   * to seconds to save a large notebook, and an agent usually makes several edits in a row. The
   * edit itself is in the document (and undoable) at once.
   */
  private saveSoon(doc: vscode.NotebookDocument, rel: string): void {
    if (!(this.opts.saveAfterEdit?.() ?? true) || doc.isClosed || doc.isUntitled) return;
    const pending = this.saveTimers.get(doc);
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.saveTimers.delete(doc);
      void this.saveIfWanted(doc, rel);
    }, SAVE_DELAY_MS);
    this.saveTimers.set(doc, { timer, rel });
  }


  private async saveIfWanted(doc: vscode.NotebookDocument, rel: string): Promise<void> {
    if (!(this.opts.saveAfterEdit?.() ?? true) || doc.isClosed || doc.isUntitled) return;
    if (doc.isDirty && !this.saveAllowed(doc)) {
      // The person changed the notebook between the agent's edit and this save: theirs to save.
      this.opts.log?.info(`${rel}: not saved after the agent's edit: it was changed in the editor meanwhile (unsaved changes of the person).`);
      return;
    }
    try {
      if (!(await doc.save())) this.opts.log?.warn(`${rel}: VS Code did not save the notebook after the edit (the file may have changed on disk); the edit is in the editor, unsaved.`);
    } catch (e) {
      this.opts.log?.warn(`${rel}: saving after the edit failed: ${(e as Error).message}; the edit is in the editor, unsaved.`);
    }
  }
}
