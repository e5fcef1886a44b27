// Notes a store adds to the result of the tool call it is serving, without every tool passing them
// along: e.g. the editor store saying that it left an open notebook unsaved because the person had
// unsaved changes in it. The MCP server collects them per call (AsyncLocalStorage follows the call
// through awaits and through the per-notebook lock, whose queue runs each call's work in that
// call's context) and reports them as the result's `notice`.
import { AsyncLocalStorage } from 'async_hooks';

const notes = new AsyncLocalStorage<string[]>();

/** Runs fn, returning its value and the notes added while it ran. */
export async function collectNotes<T>(fn: () => Promise<T>): Promise<{ value: T; notes: string[] }> {
  const list: string[] = [];
  const value = await notes.run(list, fn);
  return { value, notes: list };
}

/** Adds a note to the current tool call's result (ignored outside a call, e.g. in unit tests). */
export function addCallNote(note: string): void {
  const list = notes.getStore();
  if (list && !list.includes(note)) list.push(note);
}
