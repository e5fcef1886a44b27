// MCP Tasks (protocol 2025-11-25, experimental in the SDK 1.32): a client that declares task
// support (VS Code does) may call an execution tool as a task; the SDK then answers tasks/get,
// tasks/result and tasks/cancel from this store. Each task is backed by a run: tasks/cancel
// interrupts it as cancel_run does. Written here rather than the SDK's InMemoryTaskStore because
// that one keeps its time-to-live timers referenced, which holds a stopping process for as long
// as the longest ttl.
import { randomBytes } from 'crypto';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

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

  private expire(taskId: string, s: Stored): void {
    clearTimeout(s.timer);
    if (!s.task.ttl) return;
    s.timer = setTimeout(() => this.tasks.delete(taskId), s.task.ttl);
    s.timer.unref();
  }

  async createTask(params: CreateTaskOptions, _requestId: RequestId, _request: Request, sessionId?: string): Promise<Task> {
    const now = new Date().toISOString();
    const task: Task = { taskId: randomBytes(16).toString('hex'), status: 'working', ttl: params.ttl ?? null, createdAt: now, lastUpdatedAt: now, pollInterval: params.pollInterval ?? 1000 };
    const s: Stored = { task, sessionId };
    this.tasks.set(task.taskId, s);
    this.expire(task.taskId, s);
    return { ...task };
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
