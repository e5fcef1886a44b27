// MCP Tasks (protocol 2025-11-25, experimental in the SDK 1.32): a client that declares task
// support (VS Code does) may call an execution tool as a task; the SDK then answers tasks/get,
// tasks/result and tasks/cancel from this store. Each task is backed by a run: tasks/cancel
// interrupts it as cancel_run does. Written here rather than the SDK's InMemoryTaskStore because
// that one keeps its time-to-live timers referenced, which holds a stopping process for as long
// as the longest ttl. Bounded: every task has a ttl between a minute and a day (a client's 0,
// negative or overflowing ttl gets the default), a session keeps at most 100 tasks and the server
// 1,000 (the oldest finished ones are forgotten first), and a session's tasks go with it.
import { randomBytes } from 'crypto';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** A task's result is kept at least this long after its last change (a client asking 1 ms could never read it). */
export const MIN_TASK_TTL_MS = 60_000;
/** And at most this long: a day, well below the 2^31 ms a timer can count (beyond, Node fires it at once). */
export const MAX_TASK_TTL_MS = 24 * 60 * 60_000;
/** When the client names no usable ttl (none, 0, negative, not a number): as long as a run's answer is kept. */
export const DEFAULT_TASK_TTL_MS = 30 * 60_000;
/** Tasks kept per session, and in all: beyond, the oldest finished ones are forgotten first. */
export const MAX_TASKS_PER_SESSION = 100;
export const MAX_TASKS = 1000;

/** The ttl a task gets for the one a client asked: a positive number within the bounds, else the default. */
export function clampTtl(ttl: number | null | undefined): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) return DEFAULT_TASK_TTL_MS;
  return Math.min(MAX_TASK_TTL_MS, Math.max(MIN_TASK_TTL_MS, Math.round(ttl)));
}

/** The text of an error result, as one message. */
function errorText(result: Result): string | undefined {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  const text = content
    .filter((c) => c.type === 'text' && c.text)
    .map((c) => c.text)
    .join('\n');
  return text || undefined;
}

interface Stored {
  task: Task;
  sessionId?: string;
  result?: Result;
  timer?: NodeJS.Timeout;
  /** Interrupts the run behind the task (tasks/cancel). */
  cancel?: () => void;
}

export class RunTaskStore implements TaskStore {
  private readonly tasks = new Map<string, Stored>();

  /** Ties a task to the run that does its work, so tasks/cancel interrupts it. */
  link(taskId: string, cancel: () => void): void {
    const s = this.tasks.get(taskId);
    if (s) s.cancel = cancel;
  }

  /** A task is seen only from the session that created it (as the SDK's own store does). */
  private lookup(taskId: string, sessionId?: string): Stored | undefined {
    const s = this.tasks.get(taskId);
    return s && (sessionId === undefined || s.sessionId === undefined || s.sessionId === sessionId) ? s : undefined;
  }

  /** (Re)starts the task's time to live; every task has one (clampTtl), so none is kept forever. */
  private expire(taskId: string, s: Stored): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.tasks.delete(taskId), clampTtl(s.task.ttl));
    s.timer.unref();
  }

  private drop(taskId: string): void {
    const s = this.tasks.get(taskId);
    if (!s) return;
    clearTimeout(s.timer);
    this.tasks.delete(taskId);
  }

  /**
   * Makes room for one more task among `ids` (oldest first) under `cap` by forgetting the oldest
   * finished ones; false when the rest are all still working.
   */
  private makeRoom(ids: readonly string[], cap: number): boolean {
    let left = ids.length;
    for (const id of ids) {
      if (left < cap) break;
      if (TERMINAL.has(this.tasks.get(id)?.task.status ?? '')) {
        this.drop(id);
        left--;
      }
    }
    return left < cap;
  }

  async createTask(params: CreateTaskOptions, _requestId: RequestId, _request: Request, sessionId?: string): Promise<Task> {
    const tooMany = (where: string) =>
      new Error(`Too many tasks still working (${where}): wait for some to end (tasks/get) or cancel them (tasks/cancel), then call again.`);
    const mine = [...this.tasks.entries()].filter(([, s]) => s.sessionId === sessionId).map(([id]) => id);
    if (!this.makeRoom(mine, MAX_TASKS_PER_SESSION)) throw tooMany(`${MAX_TASKS_PER_SESSION} in this session`);
    if (!this.makeRoom([...this.tasks.keys()], MAX_TASKS)) throw tooMany(`${MAX_TASKS} on this server`);
    const now = new Date().toISOString();
    // The ttl granted, which may differ from the one asked (the spec lets the receiver decide).
    const task: Task = { taskId: randomBytes(16).toString('hex'), status: 'working', ttl: clampTtl(params.ttl), createdAt: now, lastUpdatedAt: now, pollInterval: params.pollInterval ?? 1000 };
    const s: Stored = { task, sessionId };
    this.tasks.set(task.taskId, s);
    this.expire(task.taskId, s);
    return { ...task };
  }

  /** Forgets every task of a session that closed (their runs go on; list_runs shows them). */
  dropSession(sessionId: string | undefined): void {
    for (const [id, s] of [...this.tasks]) if (s.sessionId === sessionId) this.drop(id);
  }

  /** How many tasks are kept (of one session, when given). */
  count(sessionId?: string): number {
    let n = 0;
    for (const s of this.tasks.values()) if (sessionId === undefined || s.sessionId === sessionId) n++;
    return n;
  }

  async getTask(taskId: string, sessionId?: string): Promise<Task | null> {
    const s = this.lookup(taskId, sessionId);
    return s ? { ...s.task } : null;
  }

  async storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Result, sessionId?: string): Promise<void> {
    const s = this.lookup(taskId, sessionId);
    if (!s) throw new Error(`Task ${taskId} not found`);
    if (TERMINAL.has(s.task.status)) throw new Error(`Task ${taskId} is already ${s.task.status}`);
    s.result = result;
    // The status message of the run ("Running: 5 s, 1 output") ends with it: VS Code reports the
    // status message of the task's final status notification as the call's progress, and the chat
    // then kept it as the finished call's label. A failed task (a result with isError) carries its
    // error text instead: VS Code 1.139 reports a failed task as "Task … failed: <statusMessage>"
    // without asking tasks/result, so that text is all its model learns.
    const { statusMessage: _running, ...task } = s.task;
    const error = status === 'failed' ? errorText(result) : undefined;
    s.task = { ...task, status, ...(error ? { statusMessage: error } : {}), lastUpdatedAt: new Date().toISOString() };
    s.cancel = undefined;
    this.expire(taskId, s);
  }

  async getTaskResult(taskId: string, sessionId?: string): Promise<Result> {
    const s = this.lookup(taskId, sessionId);
    if (!s) throw new Error(`Task ${taskId} not found`);
    if (!s.result) throw new Error(`Task ${taskId} has no result yet`);
    return s.result;
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    const s = this.lookup(taskId, sessionId);
    if (!s) throw new Error(`Task ${taskId} not found`);
    if (TERMINAL.has(s.task.status)) throw new Error(`Task ${taskId} is already ${s.task.status}`);
    s.task = { ...s.task, status, ...(statusMessage ? { statusMessage } : {}), lastUpdatedAt: new Date().toISOString() };
    if (status === 'cancelled') {
      // The kernel is interrupted; the run's final answer then finds the task cancelled and is dropped.
      s.cancel?.();
      s.cancel = undefined;
      s.result = { content: [{ type: 'text', text: 'Cancelled: the kernel was interrupted (its state so far is kept).' }], isError: true };
    }
    if (TERMINAL.has(status)) this.expire(taskId, s);
  }

  async listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const all = [...this.tasks.entries()].filter(([id]) => this.lookup(id, sessionId)).map(([, s]) => ({ ...s.task }));
    const start = cursor ? Math.max(0, all.findIndex((t) => t.taskId === cursor) + 1) : 0;
    const page = all.slice(start, start + 50);
    return { tasks: page, ...(start + 50 < all.length ? { nextCursor: page[page.length - 1].taskId } : {}) };
  }
}
