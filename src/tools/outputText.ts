// The text of one output as the model reads it (ANSI codes stripped), for read_output's pages and
// search_notebooks' scans. An output can be tens of MB (a training log of a million lines): it is
// never joined into one string. Notebooks store such text as a list of lines; the view keeps those
// pieces (stripped one by one, in time slices: notebooks/turns.ts) with their end offsets, so a
// page is a binary search and a join of the few pieces it covers, and a search walks the pieces.
// Large views are kept for the next call (read_output pages through one text ~8 KB at a time;
// rebuilding 52 MB per page held the event loop 0.2 s each time).
import { stripAnsi } from '../kernels/outputs';
import { runSliced } from '../notebooks/turns';

/** What read_output needs of a text: a string is one too. */
export interface TextView {
  readonly length: number;
  slice(start: number, end?: number): string;
}

/** A text made of pieces (a notebook's list of lines), never joined as a whole. */
export class PiecedText implements TextView {
  readonly length: number;
  /** ends[i]: the offset just after piece i. */
  private readonly ends: Float64Array;

  constructor(readonly pieces: readonly string[]) {
    this.ends = new Float64Array(pieces.length);
    let at = 0;
    for (let i = 0; i < pieces.length; i++) this.ends[i] = at += pieces[i].length;
    this.length = at;
  }

  slice(start: number, end = this.length): string {
    const from = Math.max(0, Math.min(this.length, start < 0 ? this.length + start : start));
    const to = Math.max(from, Math.min(this.length, end < 0 ? this.length + end : end));
    if (from === to) return '';
    let i = this.pieceAt(from);
    const first = i === 0 ? 0 : this.ends[i - 1];
    const parts: string[] = [];
    for (let at = first; at < to && i < this.pieces.length; i++) {
      parts.push(this.pieces[i]);
      at = this.ends[i];
    }
    return parts.join('').slice(from - first, to - first);
  }

  /** The piece holding offset `at` (binary search on the end offsets). */
  private pieceAt(at: number): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Views of at least this many characters are kept for the next call (smaller ones cost less to redo). */
const KEEP_FROM_CHARS = 1 << 20;
/**
 * At most this many kept views, and this many characters in all (least recently used go first).
 * A view holds its source's strings (shared, not copied, where a line has no escape code), which
 * it keeps alive after the notebook leaves the read cache: hence the small bound.
 */
const KEEP_COUNT = 4;
const KEEP_CHARS = 64 << 20;

const kept = new Map<unknown, { form: string; view: PiecedText }>();
let keptChars = 0;

function remember(source: unknown, form: string, view: PiecedText): void {
  if (view.length < KEEP_FROM_CHARS || view.length > KEEP_CHARS) return;
  const old = kept.get(source);
  if (old) keptChars -= old.view.length;
  kept.delete(source);
  kept.set(source, { form, view });
  keptChars += view.length;
  for (const [k, v] of kept) {
    if (kept.size <= KEEP_COUNT && keptChars <= KEEP_CHARS) break;
    kept.delete(k);
    keptChars -= v.view.length;
  }
}

/** A long string cut into pieces of about 64 KB, at line breaks where there are some. */
function* cutSteps(text: string): Generator<void, string[], void> {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + 65_536);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end);
      if (nl >= at) end = nl + 1;
    }
    pieces.push(text.slice(at, end));
    at = end;
    yield;
  }
  return pieces;
}

/**
 * `source` (an output's `text`, or one of its `data` values: a string or a list of lines) as a
 * view of its text with ANSI codes stripped; `form` names which text of the output it is. As steps
 * for runSliced (or `yield*` inside another stepped computation). Escape sequences are stripped
 * piece by piece (one that spans two lines of a list would be left; terminals end them on the line).
 */
export function* outputTextSteps(source: unknown, form: string): Generator<void, PiecedText, void> {
  const hit = kept.get(source);
  if (hit && hit.form === form) {
    // Most recently used: move to the end.
    kept.delete(source);
    kept.set(source, hit);
    return hit.view;
  }
  let raw: readonly unknown[];
  if (Array.isArray(source)) raw = source;
  else if (typeof source === 'string') raw = source.length > 65_536 ? yield* cutSteps(source) : [source];
  else raw = source === undefined || source === null ? [] : [JSON.stringify(source)];
  const pieces: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const s = String(raw[i]);
    pieces[i] = s.includes('\u001b') ? stripAnsi(s) : s;
    if ((i & 4095) === 4095) yield;
  }
  const view = new PiecedText(pieces);
  if ((typeof source === 'object' && source !== null) || typeof source === 'string') remember(source, form, view);
  return view;
}

/** outputTextSteps run in time slices. */
export function outputText(source: unknown, form: string): Promise<PiecedText> {
  return runSliced(outputTextSteps(source, form));
}

/**
 * Walks the lines of a text given as pieces (a line may span pieces, a piece may hold several
 * lines), pausing between batches. `onMatch(line, text, at)` is called for each line holding
 * `needle` after `fold` (0-based line number, the line, the match's position); returning false
 * stops the walk, which then answers false.
 */
export function* matchingLines(
  pieces: readonly string[],
  needle: string,
  fold: (s: string) => string,
  onMatch: (line: number, text: string, at: number) => boolean,
): Generator<void, boolean, void> {
  let n = 0;
  let carry = '';
  const check = (line: string): boolean => {
    const pos = fold(line).indexOf(needle);
    return pos < 0 || onMatch(n, line, pos);
  };
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    let start = 0;
    for (let nl = piece.indexOf('\n'); nl >= 0; nl = piece.indexOf('\n', start)) {
      const line = carry + piece.slice(start, nl);
      carry = '';
      if (!check(line)) return false;
      n++;
      start = nl + 1;
      if ((n & 1023) === 0) yield;
    }
    carry += piece.slice(start);
    if ((i & 1023) === 1023) yield;
  }
  // The last line (empty when the text ends with a line break), as split('\n') gives it.
  return check(carry);
}
