// Output of a bench run: the console/markdown table and an SVG bar chart of p50/p95 latencies.
import type { Row } from './lib';

function fmt(v: number | undefined, unit = 'ms'): string {
  if (v === undefined || Number.isNaN(v)) return '';
  if (unit === 'ms') return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
  if (unit === 'tokens' || unit === 'calls/s' || unit === 'bytes' || unit === 'edits') return `${Math.round(v).toLocaleString('en')} ${unit}`;
  if (unit === 'KB' || unit === 'MB') return `${v.toFixed(1)} ${unit}`;
  return `${v.toFixed(2)} ${unit}`;
}

function cells(r: Row): string[] {
  const unit = r.unit ?? 'ms';
  const single = r.value !== undefined;
  const status = r.pass === undefined ? (r.target ? '—' : '') : r.pass ? 'PASS' : 'MISS';
  return [
    r.scenario,
    r.case,
    single ? '' : String(r.n ?? ''),
    single ? fmt(r.value, unit) : fmt(r.p50, unit),
    single ? '' : fmt(r.p95, unit),
    single ? '' : fmt(r.max, unit),
    r.peer ? `${r.peer}: ${fmt(r.peerValue, unit)}` : '',
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '',
    r.target ? `${r.target} ${status}` : '',
    r.note ?? '',
  ];
}

const HEAD = ['scenario', 'case', 'n', 'p50 / value', 'p95', 'max', 'peer', 'ratio', 'target', 'notes'];

export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`)].join('\n');
}

export function consoleTable(rows: Row[]): string {
  const all = [HEAD, ...rows.map(cells)].map((c) => c.slice(0, 9)); // notes are in the JSON / markdown
  const widths = HEAD.slice(0, 9).map((_, i) => Math.min(i === 1 ? 64 : 44, Math.max(...all.map((c) => c[i].length))));
  const line = (c: string[]) => c.map((x, i) => (x.length > widths[i] ? x.slice(0, widths[i] - 1) + '…' : x.padEnd(widths[i]))).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars, log scale: p50 (solid) and p95 (light) of every latency row. */
export function latencySvg(rows: Row[], title: string): string {
  const lat = rows.filter((r) => (r.unit ?? 'ms') === 'ms' && r.p50 !== undefined && r.value === undefined);
  const barH = 16;
  const gap = 8;
  const left = 470;
  const width = 1000;
  const plotW = width - left - 90;
  const top = 50;
  const height = top + lat.length * (barH + gap) + 40;
  const maxV = Math.max(...lat.map((r) => r.p95 ?? r.p50 ?? 1));
  const minV = 0.1;
  const x = (v: number) => (Math.log10(Math.max(v, minV)) - Math.log10(minV)) / (Math.log10(maxV * 1.2) - Math.log10(minV)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${left}" y="28" width="12" height="10" fill="#2b6cb0"/><text x="${left + 16}" y="37">p50</text>`);
  out.push(`<rect x="${left + 50}" y="28" width="12" height="10" fill="#90cdf4"/><text x="${left + 66}" y="37">p95</text><text x="${left + 100}" y="37" fill="#555">(log scale, ms)</text>`);
  for (let d = Math.ceil(Math.log10(minV)); Math.pow(10, d) <= maxV * 1.2; d++) {
    const v = Math.pow(10, d);
    const gx = left + x(v);
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="#ddd"/><text x="${gx}" y="${height - 16}" text-anchor="middle" fill="#555">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  lat.forEach((r, i) => {
    const y = top + i * (barH + gap);
    const peer = /peer|nbconvert|direct/i.test(r.case);
    const name = `${r.scenario.split(' ')[0]} · ${r.case}`;
    out.push(`<text x="${left - 6}" y="${y + barH - 4}" text-anchor="end"${peer ? ' fill="#7b341e"' : ''}>${esc(name.length > 78 ? name.slice(0, 77) + '…' : name)}</text>`);
    if (r.p95 !== undefined) out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(r.p95))}" height="${barH}" fill="${peer ? '#fbd38d' : '#90cdf4'}"/>`);
    out.push(`<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(r.p50!))}" height="${barH - 6}" fill="${peer ? '#c05621' : '#2b6cb0'}"/>`);
    out.push(`<text x="${left + Math.max(x(r.p95 ?? r.p50!), x(r.p50!)) + 4}" y="${y + barH - 4}" fill="#333">${esc(fmt(r.p50))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Every row with a target, one line each: what was measured, against what, and the verdict. */
export function targetSummary(rows: Row[], load: number[]): string {
  const withTarget = rows.filter((r) => r.target);
  const lines = withTarget.map((r) => {
    const unit = r.unit ?? 'ms';
    const ours = r.value !== undefined ? fmt(r.value, unit) : fmt(r.p50, unit);
    const ref = r.peer ? `${fmt(r.peerValue, unit)} (${r.peer})` : '';
    const verdict = r.pass === undefined ? '—' : r.pass ? 'PASS' : 'MISS';
    return [verdict, `${r.scenario.split(' ')[0]} ${r.case}`, ours, ref, r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '', r.target!];
  });
  const head = ['', 'case', 'ours p50', 'reference p50', 'ratio', 'target'];
  const widths = head.map((h, i) => Math.min(i === 1 ? 70 : 48, Math.max(h.length, ...lines.map((l) => l[i].length))));
  const line = (c: string[]) => c.map((x, i) => (x.length > widths[i] ? x.slice(0, widths[i] - 1) + '…' : x.padEnd(widths[i]))).join('  ').trimEnd();
  const missed = withTarget.filter((r) => r.pass === false).length;
  return [
    `Targets: ${withTarget.length - missed} PASS, ${missed} MISS (load average ${load.map((x) => x.toFixed(2)).join(', ')} at the end)`,
    line(head),
    ...lines.map(line),
  ].join('\n');
}
