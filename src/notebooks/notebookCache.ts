// The file store's parse cache: parsed notebooks by real path, least recently used first, bounded
// by the files' total size.
import type { Notebook } from './nbformat';

export interface Cached {
  version: string;
  notebook: Notebook;
  /** Size of the file it was read from or written to, in bytes. */
  size: number;
  /** The file's device: with the version, what identifies the file state that was parsed. */
  dev?: bigint;
}

/** Default bound of the parse cache, in bytes of the files it holds (≈ 4× that in memory). */
export const DEFAULT_CACHE_BYTES = 128 * 1024 * 1024;

/**
 * Parsed notebooks by path, least recently used first. Bounded by the files' total size, so a
 * long session over many notebooks does not keep them all: a parsed notebook with its cached bytes
 * costs ≈ 3× its file (docs/BENCHMARKS.md), once written ≈ 4× (the last file's bytes are kept as
 * the next edit's layout, nbformatWrite.ts). The entry just stored is never evicted, so a notebook
 * larger than the bound still edits without re-parsing.
 */
export class NotebookCache {
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

  /** The entry, without counting as a use. */
  peek(abs: string): Cached | undefined {
    return this.entries.get(abs);
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
