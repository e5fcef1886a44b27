// Workspace root and path checks. Every path an agent gives goes through resolveInside(): it is
// resolved against the root, and refused if it (or, for a new file, its parent) ends up outside
// the root after symlinks are followed.
import { promises as fs } from 'fs';
import * as path from 'path';
import { ToolError } from '../common/errors';
import { escapeControl } from '../util/log';

export class Workspace {
  readonly root: string;
  private realRoot: string | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private async rootReal(): Promise<string> {
    if (!this.realRoot) this.realRoot = await fs.realpath(this.root);
    return this.realRoot;
  }

  /** Workspace-relative path with forward slashes (what agents pass back). */
  relative(abs: string): string {
    const rel = path.relative(this.root, abs);
    return rel.split(path.sep).join('/') || '.';
  }

  /**
   * Resolves an agent-supplied path and checks it stays inside the root, following symlinks.
   * Accepts relative paths, "./x", absolute paths inside the root and file:// URIs.
   */
  async resolveInside(input: string, what = 'path'): Promise<string> {
    return (await this.resolveReal(input, what)).abs;
  }

  /**
   * resolveInside, also giving the real path: every symlink followed, once. Work on a file is done
   * on `real`, never again through `abs`, so a link retargeted after this check cannot move the
   * work elsewhere. For a file that does not exist yet, `real` is its nearest existing folder's
   * real path joined with the rest of the name.
   */
  async resolveReal(input: string, what = 'path'): Promise<{ abs: string; real: string }> {
    if (typeof input !== 'string' || input.trim() === '') throw new ToolError(`The ${what} is empty: give a notebook path relative to the workspace root (${this.root}).`);
    let p = input.trim();
    if (p.startsWith('file://')) {
      try {
        p = decodeURIComponent(new URL(p).pathname);
      } catch {
        throw new ToolError(`The ${what} "${input}" is not a valid file URI.`);
      }
    }
    // Checked after decoding: "file:///x%00.ipynb" carries a NUL too.
    if (p.includes('\0')) throw new ToolError(`The ${what} contains a NUL character: give a plain file path.`);
    // A path is one line: a newline (or another control character) in a name would let it forge
    // lines in logs and in answers that list paths one per line.
    const control = CONTROL.exec(p);
    if (control) {
      throw new ToolError(
        `The ${what} contains a control character (${escapeControl(control[0])} at position ${control.index}): paths must be one line of printable characters. Rename the file if its name has one; nothing was read or changed.`,
      );
    }
    const abs = await this.existingSpelling(p);
    if (!isInside(this.root, abs)) throw outside(input, this.root);
    const realRoot = await this.rootReal();
    // Follow symlinks on the longest existing prefix: the file itself, or its nearest existing
    // parent for a file about to be created.
    let probe = abs;
    let rest = '';
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        const full = rest ? path.join(real, rest) : real;
        if (!isInside(realRoot, full)) throw outside(input, this.root);
        return { abs, real: full };
      } catch (e) {
        if (e instanceof ToolError) throw e;
        const parent = path.dirname(probe);
        if (parent === probe) throw outside(input, this.root);
        rest = rest ? path.join(path.basename(probe), rest) : path.basename(probe);
        probe = parent;
      }
    }
  }

  /** Whether a real (symlink-free) path is inside the root's real path. */
  async holds(real: string): Promise<boolean> {
    return isInside(await this.rootReal(), real);
  }

  /**
   * The path as given if it exists, else its NFC or NFD spelling if that exists (a name written on
   * macOS is NFD on disk; an agent may type it NFC), else NFC for a new file. list_notebooks shows
   * names as they are on disk, so they always resolve back to the same file.
   */
  private async existingSpelling(p: string): Promise<string> {
    const nfc = path.resolve(this.root, p.normalize('NFC'));
    if (p === p.normalize('NFC') && p === p.normalize('NFD')) return nfc;
    for (const candidate of new Set([path.resolve(this.root, p), nfc, path.resolve(this.root, p.normalize('NFD'))])) {
      if (await fs.lstat(candidate).then(() => true, () => false)) return candidate;
    }
    return nfc;
  }
}

// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0001-\u001f\u007f-\u009f\u2028\u2029]/;

/** Whether a name holds a character a path may not (see resolveReal). */
export function hasControl(name: string): boolean {
  return CONTROL.test(name);
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  // A ".." segment leaves the root; a name that merely starts with dots ("..x.ipynb") does not.
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

function outside(input: string, root: string): ToolError {
  return new ToolError(
    `Path "${input}" is outside the workspace root (${root}); only notebooks under the root can be used. Give a path relative to the root.`,
  );
}
