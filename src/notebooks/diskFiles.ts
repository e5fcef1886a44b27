// The on-disk side of the file store (fileStore.ts): how a notebook file is reached and replaced
// without ever being truncated, corrupted or written outside the workspace root.
// - Writes go to a temp file in the same folder, are fsynced, then renamed over the target: a
//   crash leaves either the old or the new notebook, never a truncated one.
// - Just before the rename the file's version is checked again (a lock file keeps other Jupyter
//   MCP processes out of that step): if another program changed it, nothing is written.
// - Work is done on the real path through an open folder handle whose location is checked
//   (CheckedDir), so a link retargeted meanwhile cannot move a read, a temp file or a rename out of
//   the root; links, hard links, FIFOs and devices are refused with errors that say what to do.
import { promises as fs, constants as fsc, closeSync, existsSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { ToolError } from '../common/errors';
import { fileBytes, serializeNotebookPiecesSliced, type Notebook } from './nbformat';
import type { Workspace } from './paths';
import type { NotebookInfo } from './store';

/** A temp file older than this cannot belong to a write still in progress (writes take ms). */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Writes through a temp file + rename. `expected` is the version the new content was planned
 * on (null: the file must not exist). Returns the new version and the file's size, or undefined when
 * the file no longer matches `expected` (nothing written). `mode`: the permissions of the file it was
 * planned on, from the same stat as `expected` (undefined for a new file), which the new file keeps.
 * `durable`: fdatasync the data before the rename. `base`: a notebook written before (the one the
 * edit was planned on), whose file bytes the new file reuses around the changed cells.
 */
export async function writeNotebookFile(
  workspace: Workspace,
  t: Target,
  nb: Notebook,
  expected: string | null,
  mode: number | undefined,
  durable: boolean,
  base?: Notebook,
): Promise<{ version: string; size: number; dev: bigint } | undefined> {
  // A notebook parsed from bytes and written back unchanged (a revert to a checkpoint) is written
  // as those very bytes, whatever their layout.
  const raw = fileBytes(nb);
  const pieces = raw ? [raw] : await serializeNotebookPiecesSliced(nb, base);
  // The temp file, the lock and the rename all happen in one folder, opened once and checked to
  // be inside the root; its names are reached through that handle, never through a path that a
  // retargeted link could send elsewhere. A notebook reached through a symlink is replaced where
  // the link points (t.real): renaming onto the link would turn it into a regular file.
  const dir = await CheckedDir.open(workspace, path.dirname(t.real), t.info);
  let closeLater = false;
  try {
    const name = path.basename(t.real);
    const file = dir.child(name);
    const tmp = dir.child(tempName(name));
    // The new file keeps the old one's permissions: created with them, and chmod-ed (beside the
    // write) only when the umask would take bits away or there are special bits.
    const perms = mode === undefined ? 0o644 : mode & 0o7777;
    const handle = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, perms & 0o777);
    try {
      const chmod = mode !== undefined && (perms & ~0o777 || perms & umask());
      await Promise.all([writeAll(handle, pieces), chmod ? handle.chmod(perms).catch(() => undefined) : undefined]);
      // fdatasync: the data and what is needed to read it back (size, blocks); the temp file's
      // timestamps need not be durable. Crash-safety comes from syncing before the rename.
      if (durable) await handle.datasync();
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
      // lstat: a link put in the notebook's place since it was read is a change, not the notebook.
      const nowSt = lstatSync(file, { bigint: true, throwIfNoEntry: false });
      const now = nowSt ? versionOf(nowSt) : undefined;
      if (now !== (expected ?? undefined)) {
        await fs.unlink(tmp).catch(() => undefined);
        return undefined;
      }
      // Renaming over the old file makes the kernel free its blocks inside rename() (≈ 1 ms for a
      // few MB on ext4, ≈ 0.4 ms even for a 20 KB notebook on this project's test machines). A
      // second name for the old file first keeps that out of the edit's time:
      // it is removed once the call has its answer. Named like a temp file, so a crash leaves
      // nothing the stale-temp sweep would not remove. File systems without hard links skip this.
      // (Not before the check: a new link changes the file's ctime, hence its version.)
      if (nowSt !== undefined) retired = secondName(file, dir.child(tempName(name)));
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
    return { version: versionOf(st), size: Number(st.size), dev: st.dev };
  } finally {
    if (!closeLater) dir.close();
  }
}

/**
 * Removes temp files of this notebook left by a process killed between creating one and renaming
 * it (".NAME.ipynb.<12 hex>.tmp", older than STALE_TEMP_MS, so never another live write's).
 * They are hidden and never listed as notebooks; this only stops them piling up.
 */
export async function sweepStaleTemps(workspace: Workspace, t: Target): Promise<void> {
  const prefix = `.${path.basename(t.real)}.`;
  let dir: CheckedDir | undefined;
  try {
    dir = await CheckedDir.open(workspace, path.dirname(t.real), t.info);
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

export interface Target {
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
export class CheckedDir {
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
export function checkRegular(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }, info: NotebookInfo): void {
  if (st.isDirectory()) throw new ToolError(`${info.path} is a folder, not a notebook file.`);
  if (st.isSymbolicLink()) throw changedToLink(info);
  // A FIFO, socket or device named *.ipynb would block the read (and this file's lock) forever.
  if (!st.isFile()) throw new ToolError(`${info.path} is not a regular file (a pipe, socket or device), so it cannot be a notebook.`);
}

/** Thrown inside the file store's load() for a file with more than one name (see hardLinked). */
export class SecondName extends Error {
  constructor(readonly links: number) {
    super('hard-linked');
  }
}

export function hardLinked(info: NotebookInfo, links: number): ToolError {
  return new ToolError(
    `${info.relativePath} has ${links} names (hard links): one of them may be outside the workspace root, so it is not read. ` +
      `If the file is yours, give it a single name (e.g. \`cp "${info.relativePath}" copy.ipynb && mv copy.ipynb "${info.relativePath}"\`) and call the tool again. Nothing was read or changed.`,
  );
}

export function changedToLink(info: NotebookInfo): ToolError {
  return new ToolError(`${info.relativePath} is a symbolic link that leads nowhere, or one put there after the path was checked; nothing was read or changed. Use the real notebook's path, or remove the link.`);
}

export function movedOut(info: NotebookInfo): ToolError {
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

let processUmask: number | undefined;
/** The process's umask, read once (reading it sets it back: not something to do per write). */
function umask(): number {
  return (processUmask ??= process.umask());
}

export function versionOf(st: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${st.ino}-${st.size}-${st.mtimeNs}-${st.ctimeNs}`;
}
