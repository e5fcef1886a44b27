// The house rules a newcomer relies on, checked on every run (read from the sources' imports):
// - no source file over 500 lines: each one can be held whole;
// - no import circle (type-only imports included: they couple the files just the same);
// - the floors: nothing in runs/ or notebooks/ imports from tools/; only extension.ts, editor/ and ui/
//   import vscode (the standalone server and the node tests share everything else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, statSync } from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', '..', 'src');
const MAX_LINES = 500;

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const rel = (p: string) => path.relative(SRC, p).split(path.sep).join('/');

// `import … from '…'`, `export … from '…'`, `import '…'`, `import('…')`, `require('…')`.
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The specifiers a file imports (comments are stripped first, so examples in them do not count). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...code.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Every strongly connected group of two or more files (an import circle), as relative paths. */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const files = sources();
const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const graph = new Map(files.map((f) => [rel(f), importsOf(texts.get(f)!).map((s) => resolveLocal(f, s)).filter((x): x is string => !!x).map(rel)]));

test(`no source file is over ${MAX_LINES} lines`, () => {
  const big = files.map((f) => ({ f: rel(f), n: texts.get(f)!.split('\n').length - 1 })).filter((x) => x.n > MAX_LINES);
  assert.deepEqual(big, [], `split these by responsibility: ${big.map((x) => `${x.f} (${x.n})`).join(', ')}`);
});

test('no import circle in src/', () => {
  assert.deepEqual(circles(graph), []);
});

test('runs/ and notebooks/ never import tools/; only extension.ts, editor/ and ui/ import vscode', () => {
  const wrong: string[] = [];
  for (const [f, deps] of graph) {
    if (/^(runs|notebooks)\//.test(f)) for (const d of deps) if (d.startsWith('tools/')) wrong.push(`${f} -> ${d}`);
  }
  for (const f of files) {
    const r = rel(f);
    if (r === 'extension.ts' || /^(editor|ui)\//.test(r)) continue;
    if (importsOf(texts.get(f)!).includes('vscode')) wrong.push(`${r} -> vscode`);
  }
  assert.deepEqual(wrong, []);
});

test('the checker itself sees imports, circles and comments as they are', () => {
  assert.deepEqual(importsOf(`import type { A } from './a';\n// import { B } from './b';\nexport { C } from "./c";\nconst d = require('./d');\nimport './e';`).sort(), ['./a', './c', './d', './e']);
  assert.deepEqual(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  assert.deepEqual(circles(new Map([['a', ['b']], ['b', []]])), []);
});
