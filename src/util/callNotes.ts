// Notes a store adds to the result of the tool call it is serving, without every tool passing them
// along: e.g. the editor store saying that it left an open notebook unsaved because the person had
// unsaved changes in it. The MCP server collects them per call (AsyncLocalStorage follows the call
// through awaits and through the per-notebook lock, whose queue runs each call's work in that
// call's context) and reports them as the result's `notice`. The same context tells a store who is
// calling (the MCP client and the tool), so agent changes can be recorded per agent (src/agents/).
import { AsyncLocalStorage } from 'async_hooks';

/** Who makes the current call: the MCP client's clientInfo.name and the tool. */
export interface Caller {
  client: string;
  tool: string;
}

interface CallState {
  notes: string[];
  caller?: Caller;
}

const calls = new AsyncLocalStorage<CallState>();

/** Runs fn, returning its value and the notes added while it ran. */
export async function collectNotes<T>(fn: () => Promise<T>, caller?: Caller): Promise<{ value: T; notes: string[] }> {
  const state: CallState = { notes: [], caller };
  const value = await calls.run(state, fn);
  return { value, notes: state.notes };
}

/** Adds a note to the current tool call's result (ignored outside a call, e.g. in unit tests). */
export function addCallNote(note: string): void {
  const list = calls.getStore()?.notes;
  if (list && !list.includes(note)) list.push(note);
}

/** The MCP client and tool of the current call; undefined outside a tool call (the person's commands). */
export function currentCaller(): Caller | undefined {
  return calls.getStore()?.caller;
}
