// One source of "a notebook changed" and "the set of notebooks changed" for the MCP resources layer
// (resources/subscribe → notifications/resources/updated, and resources/list_changed). Feeds:
// - this server's own writes (changeReporting.ts wraps the store the tools use);
// - in VS Code, the editor's document events and its file watcher (src/editor/notebookChanges.ts);
// - for the standalone server, polling: the notebooks someone subscribed to are stat'ed every
//   `pollMs`, and while some session listens for list changes the tree is listed again now and then.
//
// Why polling and not fs.watch(root, { recursive: true }): on Linux, Node implements a recursive
// watch in JavaScript (lib/internal/fs/recursive_watch.js): a synchronous readdir of the whole tree
// at start, then one fs.watchFile stat poller for EVERY file in it, node_modules included. On a large
// tree that is seconds of blocked event loop and tens of thousands of stats a second, forever, on a
// 2-core machine, to follow the handful of notebooks a client subscribed to. Here the cost follows
// the interest: N subscribed notebooks cost N version checks per `pollMs` (realpath + lstat, 0.55 ms
// of async file-system calls each, measured at load 11 on the shared 2-core machine), and the listing
// walk (the same bounded walk list_notebooks does) runs only while a session listens, at most every
// `scanMs` and never more than 1/20 of the time (a walk that took 300 ms waits 6 s before the next;
// a minute at most).
import type { NotebookStore, NotebookSummary } from './store';

export type NotebookChange = { kind: 'content'; path: string } | { kind: 'list' };

export interface ChangeOptions {
  /** Polling of subscribed notebooks (ms); 0: off (another feed reports changes). Default 1000. */
  pollMs?: number;
  /** Least time between two walks of the tree for list changes (ms); 0: off. Default 10,000. */
  scanMs?: number;
  /** Changes of one notebook within this time become one notification (ms). Default 200. */
  settleMs?: number;
  /** The listing is reused for this long before the next resources/list walks the tree again (ms). Default 5,000. */
  listingTtlMs?: number;
}

/** How old a listing completion may use (refreshed behind it). */
const STALE_LISTING_MS = 60_000;

/** Longest wait between two walks for list changes, however slow the last walk was. */
const MAX_SCAN_MS = 60_000;

/** Notebooks listed at most (resources/list); the templates still reach the others by path. */
export const MAX_LISTED = 10_000;

export class NotebookChanges {
  private readonly listeners = new Set<(c: NotebookChange) => void>();
  /** Subscribed notebook path → how many subscriptions, and the version last seen by the poller. */
  private readonly watched = new Map<string, { refs: number; version?: string | null }>();
  private listInterest = 0;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private listPending: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private listingCache: { at: number; notebooks: NotebookSummary[]; truncated: boolean } | undefined;
  /** The paths the last walk found (joined): a walk that finds others reports a list change. */
  private lastKey: string | undefined;
  private listingRun: Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> | undefined;
  private disposed = false;
  private readonly pollMs: number;
  private readonly scanMs: number;
  private readonly settleMs: number;
  private readonly listingTtlMs: number;

  constructor(
    private readonly store: NotebookStore,
    opts: ChangeOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1000;
    this.scanMs = opts.scanMs ?? 10_000;
    this.settleMs = opts.settleMs ?? 200;
    this.listingTtlMs = opts.listingTtlMs ?? 5000;
  }

  /** Listens to every change; returns the function that stops listening. */
  on(listener: (c: NotebookChange) => void): () => void {
    this.listeners.add(listener);
    return once(() => this.listeners.delete(listener));
  }

  /** A notebook (workspace-relative path) changed: on disk, in the editor, or by a tool. */
  contentChanged(path: string): void {
    if (this.disposed || this.pending.has(path)) return;
    this.pending.set(
      path,
      setTimeout(() => {
        this.pending.delete(path);
        const w = this.watched.get(path);
        // The poller would see this change again on its next round: remember it as seen.
        if (w) void this.versionOf(path).then((v) => (w.version = v));
        this.emit({ kind: 'content', path });
      }, this.settleMs).unref(),
    );
  }

  /** Notebooks appeared or went. */
  listChanged(): void {
    this.listingCache = undefined;
    // The last walk's paths stay the baseline: the next walk may report this change once more, but
    // a notebook another program adds meanwhile is not taken for part of this one.
    this.notifyList();
  }

  private notifyList(): void {
    if (this.disposed || this.listPending) return;
    this.listPending = setTimeout(() => {
      this.listPending = undefined;
      this.emit({ kind: 'list' });
    }, this.settleMs).unref();
  }

  /** Follows one notebook for a subscription; returns the function that stops following it. */
  watch(path: string): () => void {
    const w = this.watched.get(path);
    if (w) w.refs++;
    else {
      const entry: { refs: number; version?: string | null } = { refs: 1 };
      this.watched.set(path, entry);
      void this.versionOf(path).then((v) => {
        if (entry.version === undefined) entry.version = v;
      });
    }
    this.schedulePoll();
    return once(() => {
      const e = this.watched.get(path);
      if (!e) return;
      if (--e.refs <= 0) this.watched.delete(path);
    });
  }

  /** Follows the set of notebooks (a session that listed them); returns the function that stops. */
  watchList(): () => void {
    this.listInterest++;
    this.scheduleScan(this.scanMs);
    return once(() => {
      this.listInterest--;
    });
  }

  /**
   * Every notebook under the root (up to MAX_LISTED), sorted by path, reused for listingTtlMs so
   * that paging through thousands of notebooks walks the tree once. `stale`: a listing up to a
   * minute old is fine, refreshed in the background (completion answers while the person types;
   * a walk of 10,000 notebooks took 0.4-1.2 s at load 18).
   */
  async listing(opts: { stale?: boolean } = {}): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
    const c = this.listingCache;
    const age = c ? Date.now() - c.at : Infinity;
    if (c && age < this.listingTtlMs) return c;
    if (c && opts.stale && age < STALE_LISTING_MS) {
      void this.walk().catch(() => undefined);
      return c;
    }
    return this.walk();
  }

  /** What is followed now (tests check that a closed session leaves nothing behind). */
  stats(): { listeners: number; watchedNotebooks: number; subscriptions: number; listInterest: number } {
    let subscriptions = 0;
    for (const w of this.watched.values()) subscriptions += w.refs;
    return { listeners: this.listeners.size, watchedNotebooks: this.watched.size, subscriptions, listInterest: this.listInterest };
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    clearTimeout(this.listPending);
    clearTimeout(this.pollTimer);
    clearTimeout(this.scanTimer);
    this.listeners.clear();
    this.watched.clear();
  }

  private emit(c: NotebookChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(c);
      } catch {
        // A listener that fails (a session closing) does not stop the others.
      }
    }
  }

  private async versionOf(path: string): Promise<string | null> {
    try {
      return (await this.store.currentVersion(path)) ?? null;
    } catch {
      return null;
    }
  }

  private schedulePoll(): void {
    if (this.pollMs <= 0 || this.pollTimer || this.disposed) return;
    this.pollTimer = setTimeout(() => void this.poll(), this.pollMs).unref();
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (this.polling || this.disposed) return;
    this.polling = true;
    try {
      for (const [path, w] of [...this.watched]) {
        const v = await this.versionOf(path);
        if (w.version === undefined) {
          w.version = v;
          continue;
        }
        if (v !== w.version) {
          // Gone or back: the list changed too.
          if ((v === null) !== (w.version === null)) this.listChanged();
          w.version = v;
          this.contentChanged(path);
        }
      }
    } finally {
      this.polling = false;
    }
    if (this.watched.size > 0) this.schedulePoll();
  }

  private scheduleScan(delay: number): void {
    if (this.scanMs <= 0 || this.scanTimer || this.disposed || this.listInterest <= 0) return;
    this.scanTimer = setTimeout(() => void this.scan(), delay).unref();
  }

  private async scan(): Promise<void> {
    this.scanTimer = undefined;
    if (this.listInterest <= 0 || this.disposed) return;
    const started = performance.now();
    try {
      await this.walk();
    } catch {
      // An unreadable root is reported by resources/list itself; the scan tries again later.
    }
    const took = performance.now() - started;
    this.scheduleScan(Math.min(Math.max(this.scanMs, 20 * took), MAX_SCAN_MS));
  }

  private walk(): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
    if (this.listingRun) return this.listingRun;
    this.listingRun = (async () => {
      try {
        const res = await this.store.list('.', { recursive: true, limit: MAX_LISTED });
        const notebooks = [...res.notebooks].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        this.listingCache = { at: Date.now(), notebooks, truncated: res.truncated };
        const key = notebooks.map((n) => n.path).join('\n');
        if (this.lastKey !== undefined && key !== this.lastKey) this.notifyList();
        this.lastKey = key;
        return { notebooks, truncated: res.truncated };
      } finally {
        this.listingRun = undefined;
      }
    })();
    return this.listingRun;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
