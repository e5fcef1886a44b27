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
import { promises as fs, constants as fsc, closeSync, existsSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { ToolError } from '../common/errors';
import { applyEdits } from './cells';
import { fileBytes, Notebook, parseNotebookBytesSliced, serializeNotebookPiecesSliced, validateNotebookSliced } from './nbformat';
import { Workspace } from './paths';
import { KeyedLock } from '../util/keyedLock';
import type { EditPlanner, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from './store';

interface Cached {
  version: string;
  notebook: Notebook;
  /** Size of the file it was read from or written to, in bytes. */
  size: number;
}

/** Default bound of the parse cache, in bytes of the files it holds (≈ 3× that in memory). */
export const DEFAULT_CACHE_BYTES = 128 * 1024 * 1024;

/**
 * Parsed notebooks by path, least recently used first. Bounded by the files' total size, so a
 * long session over many notebooks does not keep them all: a parsed notebook with its cached bytes
 * costs ≈ 3× its file (docs/BENCHMARKS.md). The entry just stored is never evicted, so a notebook
 * larger than the bound still edits without re-parsing.
 */
class NotebookCache {
  private readonly entries = new Map<string, Cached>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(abs: string): Cached | undefined {
    const e = this.entries.get(abs);
    if (e) {
      this.entries.delete(abs);
      this.entries.set(abs, e);
    }
    return e;
  }

  set(abs: string, e: Cached): void {
    this.delete(abs);
    this.entries.set(abs, e);
    this.bytes += e.size;
    for (const [k, old] of this.entries) {
      if (this.bytes <= this.maxBytes || k === abs) break;
      this.entries.delete(k);
      this.bytes -= old.size;
    }
  }

  delete(abs: string): void {
    const e = this.entries.get(abs);
    if (e) {
      this.entries.delete(abs);
      this.bytes -= e.size;
    }
  }

  /** Paths held, least recently used first. */
  paths(): string[] {
    return [...this.entries.keys()];
  }
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.ipynb_checkpoints', '__pycache__', '.venv', 'venv', '.vscode-host', '.vscode-test']);
const MAX_CONFLICT_RETRIES = 10;
/** A temp file older than this cannot belong to a write still in progress (writes take ms). */
const STALE_TEMP_MS = 10 * 60_000;

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
          if (opts.recursive && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(full);
        } else if (e.isFile() && e.name.toLowerCase().endsWith('.ipynb')) {
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
      const entry = { version, notebook, size: Number(st.size) };
      this.cache.set(t.real, entry);
      return { ...entry, mode };
    } finally {
      await handle?.close().catch(() => undefined);
      dir.close();
    }
  }

  /**
   * Writes through a temp file + rename. `expected` is the version the new content was planned
   * on (null: the file must not exist). Returns the new version, or undefined when the file no
   * longer matches `expected` (nothing written). `mode`: the permissions of the file it was
   * planned on, from the same stat as `expected` (undefined for a new file), which the new file keeps.
   */
  private async writeAtomic(t: Target, nb: Notebook, expected: string | null, mode: number | undefined): Promise<string | undefined> {
    // A notebook parsed from bytes and written back unchanged (a revert to a checkpoint) is written
    // as those very bytes, whatever their layout.
    const raw = fileBytes(nb);
    const pieces = raw ? [raw] : await serializeNotebookPiecesSliced(nb);
    // The temp file, the lock and the rename all happen in one folder, opened once and checked to
    // be inside the root; its names are reached through that handle, never through a path that a
    // retargeted link could send elsewhere. A notebook reached through a symlink is replaced where
    // the link points (t.real): renaming onto the link would turn it into a regular file.
    const dir = await CheckedDir.open(this.workspace, path.dirname(t.real), t.info);
    let closeLater = false;
    try {
      const name = path.basename(t.real);
      const file = dir.child(name);
      const tmp = dir.child(tempName(name));
      const handle = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644);
      try {
        // The new file keeps the old one's permissions; the chmod runs beside the write.
        await Promise.all([writeAll(handle, pieces), mode === undefined ? undefined : handle.chmod(mode & 0o7777).catch(() => undefined)]);
        // fdatasync: the data and what is needed to read it back (size, blocks); the temp file's
        // timestamps need not be durable. Crash-safety comes from syncing before the rename.
        if (this.opts.durable !== false) await handle.datasync();
      } catch (e) {
        await handle.close().catch(() => undefined);
        await fs.unlink(tmp).catch(() => undefined);
        throw e;
      }
      await handle.close();
      // Checked again just before the rename: the folder may have been moved meanwhile.
      if (!(await dir.stillInside())) {
        await fs.unlink(tmp).catch(() => undefined);
        throw movedOut(t.info);
      }
      // Check-then-rename must not interleave with another Jupyter MCP process writing this file
      // (the VS Code extension and a standalone server on one folder): a lock file held for that
      // short step. Programs that do not take it are still caught by the version check.
      const unlock = await lockFile(dir, name).catch(async (e) => {
        await fs.unlink(tmp).catch(() => undefined);
        throw e;
      });
      let st;
      let retired: string | undefined;
      try {
        // Check, then rename, back to back and synchronously (a few syscalls, microseconds): a
        // program that does not take our lock and replaces the file can only be missed if it does so
        // inside that gap; POSIX has no compare-and-rename to close it entirely.
        const now = versionSync(file);
        if (now !== (expected ?? undefined)) {
          await fs.unlink(tmp).catch(() => undefined);
          return undefined;
        }
        // Renaming over the old file makes the kernel free its blocks inside rename() (≈ 1 ms for a
        // few MB on ext4). A second name for the old file first keeps that out of the edit's time:
        // it is removed once the call has its answer. Named like a temp file, so a crash leaves
        // nothing the stale-temp sweep would not remove. File systems without hard links skip this.
        // (Not before the check: a new link changes the file's ctime, hence its version.)
        if (now !== undefined) retired = secondName(file, dir.child(tempName(name)));
        renameSync(tmp, file);
        st = lstatSync(file, { bigint: true });
      } catch (e) {
        await fs.unlink(tmp).catch(() => undefined);
        if (retired) await fs.unlink(retired).catch(() => undefined);
        throw e;
      } finally {
        unlock();
      }
      // And after: a folder moved out of the root during the rename took the edit with it; it is
      // not acknowledged as an edit of this workspace's notebook. Checked before the old file's
      // second name is removed: that removal closes the folder handle, and the check reads the
      // folder through it (once closed, its /proc/self/fd name is gone or names another file).
      const inside = await dir.stillInside();
      if (retired) {
        // Removed through the same folder handle, which stays open until then, once the call has
        // its answer.
        const name = retired;
        closeLater = true;
        setImmediate(() => void fs.unlink(name).catch(() => undefined).finally(() => dir.close()));
      }
      if (!inside) throw movedOut(t.info);
      const version = versionOf(st);
      this.cache.set(t.real, { version, notebook: nb, size: Number(st.size) });
      if (!this.swept.has(t.real)) {
        this.swept.add(t.real);
        void this.sweepStaleTemps(t);
      }
      return version;
    } finally {
      if (!closeLater) dir.close();
    }
  }

  /**
   * Removes temp files of this notebook left by a process killed between creating one and renaming
   * it (".NAME.ipynb.<12 hex>.tmp", older than STALE_TEMP_MS, so never another live write's).
   * They are hidden and never listed as notebooks; this only stops them piling up.
   */
  private async sweepStaleTemps(t: Target): Promise<void> {
    const prefix = `.${path.basename(t.real)}.`;
    let dir: CheckedDir | undefined;
    try {
      dir = await CheckedDir.open(this.workspace, path.dirname(t.real), t.info);
      for (const name of await fs.readdir(dir.child('.'))) {
        if (!name.startsWith(prefix) || !/^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) continue;
        const full = dir.child(name);
        const st = await fs.lstat(full).catch(() => undefined);
        if (st?.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await fs.unlink(full).catch(() => undefined);
      }
    } catch {
      // Best effort: a folder we cannot list (or that left the root) keeps its leftovers.
    } finally {
      dir?.close();
    }
  }
}

interface Target {
  info: NotebookInfo;
  /** The notebook's real path (no symlink in it when it was checked), inside the root. */
  real: string;
}

/** Linux: an open folder can be named by /proc/self/fd/N, which the kernel resolves to that very folder. */
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

/**
 * A folder opened once and checked to be inside the workspace root. Its entries are reached through
 * the open handle (/proc/self/fd/N/NAME on Linux, like openat(2)): if a link on the way is retargeted
 * or a folder renamed after the check, the work still happens in the folder that was checked.
 * Elsewhere the real path is used and checked again (a narrower race remains there).
 */
class CheckedDir {
  private constructor(
    private readonly handle: fs.FileHandle | undefined,
    private readonly base: string,
    private readonly realDir: string,
    private readonly workspace: Workspace,
  ) {}

  static async open(workspace: Workspace, realDir: string, info: NotebookInfo): Promise<CheckedDir> {
    if (!PROC_FD) {
      const dir = new CheckedDir(undefined, realDir, realDir, workspace);
      if (!(await dir.stillInside())) throw movedOut(info);
      return dir;
    }
    const handle = await fs.open(realDir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    const dir = new CheckedDir(handle, `/proc/self/fd/${handle.fd}`, realDir, workspace);
    if (!(await dir.stillInside())) {
      dir.close();
      throw movedOut(info);
    }
    return dir;
  }

  /** A path that reaches NAME inside this very folder. */
  child(name: string): string {
    return name === '.' ? this.base : `${this.base}/${name}`;
  }

  /** Where the folder is now (it may have been moved since it was opened). */
  async stillInside(): Promise<boolean> {
    try {
      const where = this.handle ? await fs.readlink(this.base) : await fs.realpath(this.realDir);
      return await this.workspace.holds(where);
    } catch {
      return false;
    }
  }

  close(): void {
    void this.handle?.close().catch(() => undefined);
  }
}

/** Refuses what cannot be a notebook file: a folder, a link put there after the check, a FIFO… */
function checkRegular(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }, info: NotebookInfo): void {
  if (st.isDirectory()) throw new ToolError(`${info.path} is a folder, not a notebook file.`);
  if (st.isSymbolicLink()) throw changedToLink(info);
  // A FIFO, socket or device named *.ipynb would block the read (and this file's lock) forever.
  if (!st.isFile()) throw new ToolError(`${info.path} is not a regular file (a pipe, socket or device), so it cannot be a notebook.`);
}

function changedToLink(info: NotebookInfo): ToolError {
  return new ToolError(`${info.relativePath} is a symbolic link that leads nowhere, or one put there after the path was checked; nothing was read or changed. Use the real notebook's path, or remove the link.`);
}

function movedOut(info: NotebookInfo): ToolError {
  return new ToolError(`The folder of ${info.relativePath} is no longer inside the workspace root (a link was retargeted or the folder moved); nothing was changed there. Check the path and call the tool again.`);
}

/** ".NAME.ipynb.<12 hex>.tmp" next to the notebook: the shape sweepStaleTemps() removes. */
function tempName(name: string): string {
  return `.${name}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Writes the pieces from offset 0 in one writev (the cached cells' buffers go to the kernel as they
 * are: no multi-MB copy, no 512 KiB round trips as writeFile makes); a short write finishes with
 * plain writes of the rest.
 */
async function writeAll(handle: fs.FileHandle, pieces: Buffer[]): Promise<void> {
  const total = pieces.reduce((n, b) => n + b.length, 0);
  let off = (await handle.writev(pieces, 0)).bytesWritten;
  if (off >= total) return;
  const rest = Buffer.concat(pieces).subarray(off);
  for (let i = 0; i < rest.length; ) {
    const { bytesWritten } = await handle.write(rest, i, rest.length - i, off + i);
    i += bytesWritten;
  }
}

/**
 * Takes ".NAME.ipynb.lock" next to the file (O_EXCL, holding our pid) and returns its release. A
 * lock whose process is gone, or older than 10 s (the step it guards takes microseconds), is stale
 * and taken over. Where no lock can be created at all (read-only folder), it proceeds without.
 * Taking and releasing it are synchronous, like the step it guards: three syscalls each way, and
 * no turn of the event loop while the lock is held.
 */
async function lockFile(dir: CheckedDir, name: string): Promise<() => void> {
  const lock = dir.child(`.${name}.lock`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return () => undefined;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid));
      } catch {
        // A lock without a pid looks like one being written, which others would wait 10 s for.
        closeSync(fd);
        rmQuiet(lock);
        return () => undefined;
      }
      closeSync(fd);
      return () => rmQuiet(lock);
    }
    if (await isStaleLock(lock)) {
      await fs.unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new ToolError(`${name} is locked by another Jupyter MCP process (.${name}.lock beside it); nothing was changed. Try again; if no other server runs, delete the lock file.`);
    }
    await new Promise((r) => setTimeout(r, 1 + Math.random() * 4));
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

async function isStaleLock(lock: string): Promise<boolean> {
  try {
    const [st, text] = await Promise.all([fs.stat(lock), fs.readFile(lock, 'utf8')]);
    if (Date.now() - st.mtimeMs > 10_000) return true;
    const pid = Number(text);
    if (!Number.isInteger(pid) || pid <= 0) return false; // being written: wait
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // gone already, or unreadable: try again
  }
}

/** A second name for `abs`, or undefined where the file system has no hard links. */
function secondName(abs: string, name: string): string | undefined {
  try {
    linkSync(abs, name);
    return name;
  } catch {
    return undefined;
  }
}

function versionSync(abs: string): string | undefined {
  // lstat: a link put in the notebook's place since it was read is a change, not the notebook.
  const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  return st ? versionOf(st) : undefined;
}

function versionOf(st: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${st.ino}-${st.size}-${st.mtimeNs}-${st.ctimeNs}`;
}
