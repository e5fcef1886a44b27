// NotebookStore for .ipynb files on disk.
// - Reads are cached by file identity (inode, size, mtime), so repeated calls do not re-parse;
//   the least recently used notebooks leave the cache beyond a total file size (NotebookCache).
// - Edits on one file are serialized (a promise chain per path): concurrent sessions never lose
//   each other's updates.
// - Writes go to a temp file in the same folder, are fsynced, then renamed over the target: a
//   crash leaves either the old or the new notebook, never a truncated one.
// - Before the rename the file is checked again; if another program changed it meanwhile the plan
//   is re-run on the new content instead of overwriting it.
// - Only regular files named *.ipynb inside the root are read or written, after every symlink is
//   resolved: the path is resolved once, and the work is done on the real path through an open
//   folder handle whose location is checked (CheckedDir), so a link retargeted meanwhile cannot
//   move a read, a temp file or a rename out of the root.
// - Parsing, validating and serializing run in time slices (turns.ts): a million-cell notebook
//   never blocks other clients for more than a slice.
// The on-disk steps (checked folder, atomic write, lock file) are in diskFiles.ts, the parse cache
// in notebookCache.ts.
import { promises as fs, constants as fsc } from 'fs';
import * as path from 'path';
import { ToolError } from '../common/errors';
import { applyEdits } from './cells';
import { changedToLink, CheckedDir, checkRegular, hardLinked, SecondName, sweepStaleTemps, versionOf, writeNotebookFile, type Target } from './diskFiles';
import { Notebook, parseNotebookBytesSliced, validateNotebookSliced } from './nbformat';
import { DEFAULT_CACHE_BYTES, NotebookCache, type Cached } from './notebookCache';
import { hasControl, Workspace } from './paths';
import { KeyedLock } from '../util/keyedLock';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from './store';

export { DEFAULT_CACHE_BYTES } from './notebookCache';

const SKIP_DIRS = new Set(['node_modules', '.git', '.ipynb_checkpoints', '__pycache__', '.venv', 'venv', '.vscode-host', '.vscode-test']);
const MAX_CONFLICT_RETRIES = 10;

export class FileNotebookStore implements NotebookStore {
  private readonly cache: NotebookCache;
  private readonly locks = new KeyedLock();
  /** Parses in progress, by real path: readers of the same version wait for the same one. */
  private readonly parsing = new Map<string, { version: string; notebook: Promise<Notebook> }>();
  /** Notebooks whose stale temp files were already looked for (once per notebook per process). */
  private readonly swept = new Set<string>();

  constructor(
    readonly workspace: Workspace,
    private readonly opts: { durable?: boolean; cacheBytes?: number } = {},
  ) {
    this.cache = new NotebookCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
  }

  /** Absolute paths of the notebooks held parsed, least recently used first. */
  cachedPaths(): string[] {
    return this.cache.paths();
  }

  async resolve(p: string): Promise<NotebookInfo> {
    return (await this.target(p)).info;
  }

  /**
   * The notebook an agent named: its info (the path as given, for messages and the router) and its
   * real path, checked once to be inside the root and named *.ipynb. All file work uses `real`.
   */
  private async target(p: string): Promise<Target> {
    const { abs, real } = await this.workspace.resolveReal(p);
    if (!abs.toLowerCase().endsWith('.ipynb')) {
      throw new ToolError(`"${p}" is not a notebook path: notebook files end in .ipynb.`);
    }
    // "notes.ipynb -> package.json": the name says notebook, the file is not one. Writing through
    // such a link would rewrite a file that programs run (package.json scripts, .git/config).
    if (!real.toLowerCase().endsWith('.ipynb')) {
      throw new ToolError(`"${p}" is a symbolic link to a file that is not a notebook (its real name does not end in .ipynb); only notebook files can be read or written. Nothing was read or changed.`);
    }
    return { info: { path: abs, relativePath: this.workspace.relative(abs), store: 'file' }, real };
  }

  async read(p: string): Promise<ReadResult> {
    const t = await this.target(p);
    const { notebook, version } = await this.load(t);
    return { ...t.info, notebook, version };
  }

  async currentVersion(p: string): Promise<string | undefined> {
    return (await this.current(await this.target(p)))?.version;
  }

  /** The current version token of a file (undefined when it does not exist). */
  async version(abs: string): Promise<string | undefined> {
    return (await this.current(await this.target(abs)))?.version;
  }

  /**
   * Version and permissions from one lstat (undefined when the file does not exist). The real path
   * has no links; one that appears there now was put there since the check and is not followed.
   */
  private async current(t: Target): Promise<{ version: string; mode: number } | undefined> {
    let st;
    try {
      st = await fs.lstat(t.real, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
    checkRegular(st, t.info);
    return { version: versionOf(st), mode: Number(st.mode) };
  }

  edit<T>(p: string, plan: EditPlanner<T>): Promise<EditResult<T>> {
    return this.target(p).then((t) =>
      this.locked(t.real, async () => {
        const info = t.info;
        for (let attempt = 0; ; attempt++) {
          const { notebook, version, mode } = await this.load(t);
          const { edits, result } = plan(notebook, info);
          if (edits.length === 0) return { ...info, result, notebook, version };
          const next = applyEdits(notebook, edits);
          const written = await this.writeAtomic(t, next, version, mode);
          if (written !== undefined) return { ...info, result, notebook: next, version: written };
          if (attempt >= MAX_CONFLICT_RETRIES) {
            throw new ToolError(`${info.relativePath} keeps changing on disk (another program is writing it); nothing was changed. Try again in a moment.`);
          }
          // The file changed under us: drop the cache and plan again on what is there now, after a
          // short random pause so that two processes editing the same file stop colliding.
          this.cache.delete(t.real);
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * (attempt + 1)));
        }
      }),
    );
  }

  async create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    const t = await this.target(p);
    const info = t.info;
    await validateNotebookSliced(notebook, 'content');
    return this.locked(t.real, async () => {
      const existing = await this.current(t);
      if (existing !== undefined && !opts.overwrite) {
        throw new ToolError(`${info.relativePath} already exists; nothing was changed. Pick another path, or pass overwrite: true to replace it.`);
      }
      await fs.mkdir(path.dirname(t.real), { recursive: true });
      const v = await this.writeAtomic(t, notebook, existing?.version ?? null, existing?.mode);
      if (v === undefined) throw new ToolError(`${info.relativePath} changed on disk while it was being created; nothing was overwritten. Try again.`);
      return info;
    });
  }

  /**
   * Replaces a notebook. `expectedVersion` guards against overwriting a file that changed since
   * the caller read it: pass the version from read(), or null to require that the file does not
   * exist, or undefined to replace whatever is there (the caller has decided to).
   */
  async write(p: string, notebook: Notebook, expectedVersion?: string | null): Promise<NotebookInfo & { created: boolean; version: string }> {
    const t = await this.target(p);
    const info = t.info;
    await validateNotebookSliced(notebook, 'content');
    return this.locked(t.real, async () => {
      const now = await this.current(t);
      const current = now?.version;
      if (expectedVersion !== undefined && current !== (expectedVersion ?? undefined)) {
        throw new ToolError(
          current === undefined
            ? `${info.relativePath} was deleted since it was read; nothing was written. Call create_notebook or write again with overwrite: true.`
            : `${info.relativePath} changed on disk since it was read; nothing was written. Call read_notebook again and reapply your change, or pass overwrite: true to replace it.`,
        );
      }
      if (current === undefined) await fs.mkdir(path.dirname(t.real), { recursive: true });
      const v = await this.writeAtomic(t, notebook, current ?? null, now?.mode);
      if (v === undefined) throw new ToolError(`${info.relativePath} changed on disk while it was being written; nothing was overwritten. Read it again and retry.`);
      return { ...info, created: current === undefined, version: v };
    });
  }

  async list(dir: string, opts: { recursive: boolean; limit: number }): Promise<{ notebooks: NotebookSummary[]; truncated: boolean }> {
    const start = await this.workspace.resolveInside(dir || '.', 'folder');
    const st = await fs.stat(start).catch(() => undefined);
    if (!st) throw new ToolError(`Folder not found: ${start}. Give a folder relative to the workspace root (${this.workspace.root}).`);
    if (!st.isDirectory()) throw new ToolError(`${dir} is not a folder.`);
    const out: NotebookSummary[] = [];
    let truncated = false;
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(d, { withFileTypes: true });
      } catch {
        return; // unreadable folders are skipped, not fatal
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        if (out.length >= opts.limit) {
          truncated = true;
          return;
        }
        const full = path.join(d, e.name);
        if (e.isDirectory()) {
          if (opts.recursive && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.') && !hasControl(e.name)) await walk(full);
        } else if (e.isFile() && e.name.toLowerCase().endsWith('.ipynb') && !hasControl(e.name)) {
          // Names with a newline or another control character are not listed (nor folders with
          // one): no tool can open them (paths are one line, see paths.ts).
          const s = await fs.stat(full).catch(() => undefined);
          if (s) out.push({ path: this.workspace.relative(full), size: s.size, modified: s.mtime.toISOString() });
        }
      }
    };
    await walk(start);
    return { notebooks: out, truncated };
  }

  /** Runs fn with the per-file lock held (edits on one file never interleave). */
  locked<T>(abs: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(abs, fn);
  }

  /**
   * The notebook and its version, and the file's permissions. The file is opened through a folder
   * handle checked to be inside the root, without following a link, and its version and bytes come
   * from that one open file: what is parsed is what was checked.
   */
  private async load(t: Target): Promise<Cached & { mode: number }> {
    // The notebook held for this file, if the file is still the very one it was parsed from or
    // written as (same device, inode, size and times, a regular file with one name): one lstat
    // instead of opening the folder and the file (six system calls, each a thread-pool round trip,
    // before every edit and every save of a run's outputs). Nothing is read this way; any difference (a link put
    // in its place, a rename, a change) goes the checked way below.
    const hit = this.cache.peek(t.real);
    if (hit?.dev !== undefined) {
      const st = await fs.lstat(t.real, { bigint: true }).catch(() => undefined);
      if (st?.isFile() && st.nlink === 1n && st.dev === hit.dev && versionOf(st) === hit.version) {
        this.cache.get(t.real);
        return { ...hit, mode: Number(st.mode) };
      }
    }
    try {
      return await this.loadOnce(t);
    } catch (e) {
      if (!(e instanceof SecondName)) throw e;
      // Our own writes give the old file a second name for a few microseconds before the rename
      // (writeAtomic): another process reading just then sees two links. Look once more.
      await new Promise((r) => setTimeout(r, 25));
      try {
        return await this.loadOnce(t);
      } catch (again) {
        if (again instanceof SecondName) throw hardLinked(t.info, again.links);
        throw again;
      }
    }
  }

  private async loadOnce(t: Target): Promise<Cached & { mode: number }> {
    const abs = t.info.path;
    const notFound = () =>
      new ToolError(`File not found: ${abs}. Check the path (relative to the workspace root ${this.workspace.root}), call list_notebooks to see the notebooks, or create_notebook to make a new one.`);
    let dir: CheckedDir;
    try {
      dir = await CheckedDir.open(this.workspace, path.dirname(t.real), t.info);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound();
      throw e;
    }
    let handle: fs.FileHandle | undefined;
    try {
      try {
        // O_NONBLOCK: opening a FIFO named *.ipynb must not wait for a writer (checkRegular then
        // refuses it); it changes nothing for a regular file.
        handle = await fs.open(dir.child(path.basename(t.real)), fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound();
        if (code === 'ELOOP') throw changedToLink(t.info);
        throw new ToolError(`Cannot read ${abs}: ${(e as Error).message}`);
      }
      const st = await handle.stat({ bigint: true });
      checkRegular(st, t.info);
      // A hard link inside the root can name a notebook outside it, and nothing cheap tells where
      // the other names are: a file with more than one name is not read.
      if (st.nlink > 1n) throw new SecondName(Number(st.nlink));
      const version = versionOf(st);
      const hit = this.cache.get(t.real);
      const mode = Number(st.mode);
      if (hit && hit.version === version) return { ...hit, mode };
      // A stale entry goes now, not after the new parse: a huge notebook is then held once, not twice.
      if (hit) this.cache.delete(t.real);
      // Readers of the same file version share one parse (two clients opening a million-cell
      // notebook at once would otherwise parse and hold it twice).
      let parse = this.parsing.get(t.real);
      if (parse?.version !== version) {
        const h = handle;
        // Bytes, not text: parsed cell by cell, and kept as the cells' serialized bytes (nbformat.ts).
        parse = { version, notebook: h.readFile().then((buf) => parseNotebookBytesSliced(buf, this.workspace.relative(abs))) };
        this.parsing.set(t.real, parse);
      }
      const mine = parse;
      let notebook: Notebook;
      try {
        notebook = await mine.notebook;
      } finally {
        if (this.parsing.get(t.real) === mine) this.parsing.delete(t.real);
      }
      const entry = { version, notebook, size: Number(st.size), dev: st.dev };
      this.cache.set(t.real, entry);
      return { ...entry, mode };
    } finally {
      await handle?.close().catch(() => undefined);
      dir.close();
    }
  }

  /**
   * Writes through a temp file + rename (diskFiles.ts), then caches what was written. `expected`
   * is the version the new content was planned on (null: the file must not exist). Returns the new
   * version, or undefined when the file no longer matches `expected` (nothing written). `mode`: the
   * permissions of the file it was planned on (undefined for a new file), which the new file keeps.
   */
  private async writeAtomic(t: Target, nb: Notebook, expected: string | null, mode: number | undefined): Promise<string | undefined> {
    // The notebook held for this file (the one an edit was planned on): its bytes are reused.
    const base = this.cache.peek(t.real)?.notebook;
    const written = await writeNotebookFile(this.workspace, t, nb, expected, mode, this.opts.durable !== false, base);
    if (written === undefined) return undefined;
    this.cache.set(t.real, { version: written.version, notebook: nb, size: written.size, dev: written.dev });
    if (!this.swept.has(t.real)) {
      this.swept.add(t.real);
      void sweepStaleTemps(this.workspace, t);
    }
    return written.version;
  }
}
