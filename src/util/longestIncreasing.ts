/**
 * The longest subsequence of `xs` with increasing `from`, in order (O(n log n)). Given the cells of a
 * notebook after an edit, each with its index before (`from`), these are the cells that kept their
 * relative order: the most that can stay in place when cells move. Used by the editor's edit plan
 * and by the agents' record of what an edit changed.
 */
export function longestIncreasing<T extends { from: number }>(xs: T[]): T[] {
  const tails: number[] = []; // index into xs of the smallest tail of each length
  const prevOf: number[] = new Array(xs.length).fill(-1);
  xs.forEach((x, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]].from < x.from) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prevOf[i] = tails[lo - 1];
    tails[lo] = i;
  });
  const out: T[] = [];
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prevOf[i]) out.push(xs[i]);
  return out.reverse();
}
