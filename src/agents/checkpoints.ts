// Where checkpoints live on disk: a private folder OUTSIDE the workspace (VS Code: the extension's
// storage; the standalone server: a cache folder), one per workspace root, so they survive a
// window reload or a server restart and never show up among the person's files. Holds one
// index.json (the agent changes of every notebook) and one .ipynb per checkpoint (the notebook's
// bytes before the agent's change, as they were). Bounded in bytes: a checkpoint that does not fit
// is kept in memory only and the record says why. Nothing here runs on an edit's path: the
// tracker writes in the background.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash, randomBytes } from 'crypto';

/** Default bound of one workspace's checkpoints. */
export const DEFAULT_CHECKPOINT_BYTES = 256 * 1024 * 1024;
/** Records (and their checkpoints) untouched for this long are dropped when the store loads. */
export const FORGET_AFTER_DAYS = 30;

/** Why a checkpoint could not be written, in words for the person and the agent. */
export class CheckpointError extends Error {
  constructor(message: string, readonly reason: 'full' | 'unwritable' | 'none') {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The folder of a workspace's checkpoints under a base folder: one per workspace root. */
export function workspaceCheckpointDir(base: string, root: string): string {
  const name = path.basename(root).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'root';
  return path.join(base, `${name}-${createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 12)}`);
}

/** The standalone server's default base: ${XDG_CACHE_HOME:-~/.cache}/jupyter-mcp/checkpoints. */
export function defaultCheckpointBase(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cache, 'jupyter-mcp', 'checkpoints');
}

export class CheckpointStore {
  constructor(
    /** The workspace's folder; undefined: memory only (nothing survives a restart). */
    readonly dir: string | undefined,
    readonly maxBytes: number = DEFAULT_CHECKPOINT_BYTES,
  ) {}

  /** The file of a checkpoint (for the review diff). */
  file(name: string): string | undefined {
    return this.dir ? path.join(this.dir, name) : undefined;
  }

  async readIndex(): Promise<unknown | undefined> {
    if (!this.dir) return undefined;
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir, 'index.json'), 'utf8'));
    } catch {
      // Missing (nothing recorded yet) or damaged: start afresh; the checkpoint files stay.
      return undefined;
    }
  }

  async writeIndex(json: string): Promise<void> {
    if (!this.dir) return;
    await this.atomic('index.json', Buffer.from(json, 'utf8'));
  }

  /** Writes a checkpoint; `used`: bytes the other checkpoints take. Throws CheckpointError. */
  async put(name: string, bytes: Buffer, used: number): Promise<void> {
    if (!this.dir) throw new CheckpointError('no checkpoint folder is configured', 'none');
    if (used + bytes.length > this.maxBytes) {
      throw new CheckpointError(
        `the checkpoint store is full (${mb(used)} of ${mb(this.maxBytes)} used, this checkpoint ${mb(bytes.length)}): accept or revert agent changes of other notebooks to free it`,
        'full',
      );
    }
    await this.atomic(name, bytes);
  }

  async get(name: string): Promise<Buffer> {
    if (!this.dir) throw new CheckpointError('no checkpoint folder is configured', 'none');
    return fs.readFile(path.join(this.dir, name));
  }

  async remove(name: string): Promise<void> {
    if (this.dir) await fs.unlink(path.join(this.dir, name)).catch(() => undefined);
  }

  /** Removes checkpoint (and temp) files not in `keep` and older than `ageMs`. */
  async sweep(keep: ReadonlySet<string>, ageMs: number): Promise<void> {
    if (!this.dir) return;
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name === 'index.json' || keep.has(name) || !/\.(ipynb|tmp)$/.test(name)) continue;
      const st = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > ageMs) await fs.unlink(path.join(this.dir, name)).catch(() => undefined);
    }
  }

  /** Temp file + rename in the folder (created private: checkpoints hold notebook content). */
  private async atomic(name: string, bytes: Buffer): Promise<void> {
    const dir = this.dir!;
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await fs.writeFile(tmp, bytes, { mode: 0o600 });
        await fs.rename(tmp, path.join(dir, name));
      } catch (e) {
        await fs.unlink(tmp).catch(() => undefined);
        throw e;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new CheckpointError(`the disk holding ${dir} is full`, 'full');
      throw new CheckpointError(`${dir} cannot be written (${code ?? (e as Error).message})`, 'unwritable');
    }
  }
}

/**
 * Removes workspace folders under `base` whose index was last written more than FORGET_AFTER_DAYS
 * ago (temporary workspaces, projects long gone), so the cache folder does not grow forever.
 */
export async function sweepOldWorkspaces(base: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(base);
  } catch {
    return;
  }
  const limit = Date.now() - FORGET_AFTER_DAYS * 86_400_000;
  for (const name of names) {
    const dir = path.join(base, name);
    if (dir === keep) continue;
    const st = await fs.stat(path.join(dir, 'index.json')).catch(() => fs.stat(dir).catch(() => undefined));
    if (st && st.mtimeMs < limit) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
