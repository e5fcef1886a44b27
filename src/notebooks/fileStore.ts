// NotebookStore for .ipynb files on disk.
// - Reads are cached by file identity (inode, size, mtime), so repeated calls do not re-parse;
//   the least recently used notebooks leave the cache beyond a total file size (NotebookCache).
// - Edits on one file are serialized (a promise chain per path): concurrent sessions never lose
//   each other's updates.
// - Writes go to a temp file in the same folder, are fsynced, then renamed over the target: a
//   crash leaves either the old or the new notebook, never a truncated one.
// - Before the rename the file is checked again; if another program changed it meanwhile the plan
//   is re-run on the new content instead of overwriting it.
import { promises as fs, constants as fsc, closeSync, linkSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { ToolError } from '../tools/tool';
import { applyEdits } from './cells';
import { Notebook, parseNotebookBytes, serializeNotebookPieces, validateNotebook } from './nbformat';
import { Workspace } from './paths';
import { KeyedLock } from '../util/keyedLock';
import type { EditPlan, EditResult, NotebookInfo, NotebookStore, NotebookSummary, ReadResult } from './store';

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
    const abs = await this.workspace.resolveInside(p);
    if (!abs.toLowerCase().endsWith('.ipynb')) {
      throw new ToolError(`"${p}" is not a notebook path: notebook files end in .ipynb.`);
    }
    return { path: abs, relativePath: this.workspace.relative(abs), store: 'file' };
  }

  async read(p: string): Promise<ReadResult> {
    const info = await this.resolve(p);
    const { notebook, version } = await this.load(info.path);
    return { ...info, notebook, version };
  }

  async currentVersion(p: string): Promise<string | undefined> {
    return this.version((await this.resolve(p)).path);
  }

  /** The current version token of a file (undefined when it does not exist). */
  async version(abs: string): Promise<string | undefined> {
    return (await this.current(abs))?.version;
  }

  /** Version and permissions from one stat (undefined when the file does not exist). */
  private async current(abs: string): Promise<{ version: string; mode: number } | undefined> {
    try {
      const st = await fs.stat(abs, { bigint: true });
      return { version: versionOf(st), mode: Number(st.mode) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  edit<T>(p: string, plan: (nb: Readonly<Notebook>) => EditPlan<T>): Promise<EditResult<T>> {
    return this.resolve(p).then((info) =>
      this.locked(info.path, async () => {
        for (let attempt = 0; ; attempt++) {
          const { notebook, version, mode } = await this.load(info.path);
          const { edits, result } = plan(notebook);
          if (edits.length === 0) return { ...info, result, notebook, version };
          const next = applyEdits(notebook, edits);
          const written = await this.writeAtomic(info.path, next, version, mode);
          if (written !== undefined) return { ...info, result, notebook: next, version: written };
          if (attempt >= MAX_CONFLICT_RETRIES) {
            throw new ToolError(`${info.relativePath} keeps changing on disk (another program is writing it); nothing was changed. Try again in a moment.`);
          }
          // The file changed under us: drop the cache and plan again on what is there now, after a
          // short random pause so that two processes editing the same file stop colliding.
          this.cache.delete(info.path);
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * (attempt + 1)));
        }
      }),
    );
  }

  async create(p: string, notebook: Notebook, opts: { overwrite: boolean }): Promise<NotebookInfo> {
    const info = await this.resolve(p);
    validateNotebook(notebook, 'content');
    return this.locked(info.path, async () => {
      const existing = await this.current(info.path);
      if (existing !== undefined && !opts.overwrite) {
        throw new ToolError(`${info.relativePath} already exists; nothing was changed. Pick another path, or pass overwrite: true to replace it.`);
      }
      await fs.mkdir(path.dirname(info.path), { recursive: true });
      const v = await this.writeAtomic(info.path, notebook, existing?.version ?? null, existing?.mode);
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
    const info = await this.resolve(p);
    validateNotebook(notebook, 'content');
    return this.locked(info.path, async () => {
      const now = await this.current(info.path);
      const current = now?.version;
      if (expectedVersion !== undefined && current !== (expectedVersion ?? undefined)) {
        throw new ToolError(
          current === undefined
            ? `${info.relativePath} was deleted since it was read; nothing was written. Call create_notebook or write again with overwrite: true.`
            : `${info.relativePath} changed on disk since it was read; nothing was written. Call read_notebook again and reapply your change, or pass overwrite: true to replace it.`,
        );
      }
      if (current === undefined) await fs.mkdir(path.dirname(info.path), { recursive: true });
      const v = await this.writeAtomic(info.path, notebook, current ?? null, now?.mode);
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

  /** The notebook and its version, and the file's permissions (the stat is made anyway). */
  private async load(abs: string): Promise<Cached & { mode: number }> {
    let st;
    try {
      st = await fs.stat(abs, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new ToolError(`File not found: ${abs}. Check the path (relative to the workspace root ${this.workspace.root}), call list_notebooks to see the notebooks, or create_notebook to make a new one.`);
      }
      throw new ToolError(`Cannot read ${abs}: ${(e as Error).message}`);
    }
    if (st.isDirectory()) throw new ToolError(`${abs} is a folder, not a notebook file.`);
    // A FIFO, socket or device named *.ipynb would block the read (and this file's lock) forever.
    if (!st.isFile()) throw new ToolError(`${abs} is not a regular file (a pipe, socket or device), so it cannot be a notebook.`);
    const version = versionOf(st);
    const hit = this.cache.get(abs);
    const mode = Number(st.mode);
    if (hit && hit.version === version) return { ...hit, mode };
    // Bytes, not text: parsed cell by cell, and kept as the cells' serialized bytes (nbformat.ts).
    const notebook = parseNotebookBytes(await fs.readFile(abs), this.workspace.relative(abs));
    const entry = { version, notebook, size: Number(st.size) };
    this.cache.set(abs, entry);
    return { ...entry, mode };
  }

  /**
   * Writes through a temp file + rename. `expected` is the version the new content was planned
   * on (null: the file must not exist). Returns the new version, or undefined when the file no
   * longer matches `expected` (nothing written). `mode`: the permissions of the file it was
   * planned on, from the same stat as `expected` (undefined for a new file), which the new file keeps.
   */
  private async writeAtomic(abs: string, nb: Notebook, expected: string | null, mode: number | undefined): Promise<string | undefined> {
    const pieces = serializeNotebookPieces(nb);
    // A notebook reached through a symlink is replaced where the link points: renaming onto the
    // link itself would turn it into a regular file and leave its target stale. (The workspace
    // check already refused links that lead outside the root.)
    const file = linkTarget(abs);
    const tmp = tempPath(file);
    const handle = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
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
    // Check-then-rename must not interleave with another Jupyter MCP process writing this file
    // (the VS Code extension and a standalone server on one folder): a lock file held for that
    // short step. Programs that do not take it are still caught by the version check.
    const unlock = await lockFile(file).catch(async (e) => {
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
      if (now !== undefined) retired = secondName(file, tempPath(file));
      renameSync(tmp, file);
      st = statSync(file, { bigint: true });
    } catch (e) {
      await fs.unlink(tmp).catch(() => undefined);
      throw e;
    } finally {
      unlock();
      if (retired) {
        const name = retired;
        setImmediate(() => void fs.unlink(name).catch(() => undefined));
      }
    }
    const version = versionOf(st);
    this.cache.set(abs, { version, notebook: nb, size: Number(st.size) });
    if (!this.swept.has(file)) {
      this.swept.add(file);
      void this.sweepStaleTemps(file);
    }
    return version;
  }

  /**
   * Removes temp files of this notebook left by a process killed between creating one and renaming
   * it (".NAME.ipynb.<12 hex>.tmp", older than STALE_TEMP_MS, so never another live write's).
   * They are hidden and never listed as notebooks; this only stops them piling up.
   */
  private async sweepStaleTemps(abs: string): Promise<void> {
    const dir = path.dirname(abs);
    const prefix = `.${path.basename(abs)}.`;
    try {
      for (const name of await fs.readdir(dir)) {
        if (!name.startsWith(prefix) || !/^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) continue;
        const full = path.join(dir, name);
        const st = await fs.lstat(full).catch(() => undefined);
        if (st?.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await fs.unlink(full).catch(() => undefined);
      }
    } catch {
      // Best effort: a folder we cannot list keeps its leftovers.
    }
  }
}

/** ".NAME.ipynb.<12 hex>.tmp" next to the notebook: the shape sweepStaleTemps() removes. */
function tempPath(abs: string): string {
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
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
async function lockFile(abs: string): Promise<() => void> {
  const lock = path.join(path.dirname(abs), `.${path.basename(abs)}.lock`);
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
      throw new ToolError(`${path.basename(abs)} is locked by another Jupyter MCP process (${lock}); nothing was changed. Try again; if no other server runs, delete the lock file.`);
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

/** Where a symlinked path leads (one realpath call); the path itself when it is not a link or does not exist yet. */
function linkTarget(abs: string): string {
  try {
    return realpathSync.native(abs);
  } catch {
    return abs;
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
  const st = statSync(abs, { bigint: true, throwIfNoEntry: false });
  return st ? versionOf(st) : undefined;
}

function versionOf(st: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${st.ino}-${st.size}-${st.mtimeNs}-${st.ctimeNs}`;
}
