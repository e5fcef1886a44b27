// Long CPU work on one thread without starving other clients. Parsing, validating and serializing
// a notebook are written as generators that yield at safe points (after each cell); a driver runs
// them either straight through (small inputs, tests) or in time slices, giving the event loop back
// between slices so that another client's request (a ping, a small read) is answered meanwhile.
//
// Why not a worker: the parsed notebook must live on the main thread (tools and the write cache use
// it), and copying a million-cell object graph back from a worker blocks the main thread for as long
// as parsing it here would.

/** Work between two turns of the event loop, in ms: short enough for other clients, long enough to be cheap. */
export const SLICE_MS = 10;

/** Work items that wait for their next slice, served one per turn of the event loop (round robin). */
const waiting: Array<() => void> = [];
let scheduled = false;

function serveOne(): void {
  const next = waiting.shift();
  scheduled = waiting.length > 0;
  // An immediate queued from inside an immediate runs on the next loop iteration, after the poll
  // phase: pending I/O (other clients' requests) is handled between any two slices.
  if (scheduled) setImmediate(serveOne);
  next?.();
}

/** Resolves on a later turn of the event loop, after other pending I/O and other waiting slices. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(serveOne);
    }
  });
}

/** Runs a stepped computation to its end without pausing. */
export function runSync<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs a stepped computation in slices of about `sliceMs`, yielding the event loop between them.
 * Small inputs finish within the first slice and never wait for a turn.
 */
export async function runSliced<T>(steps: Generator<void, T, void>, sliceMs = SLICE_MS): Promise<T> {
  let start = performance.now();
  for (let n = 1; ; n++) {
    const r = steps.next();
    if (r.done) return r.value;
    // Reading the clock costs more than a small step: look every 32 steps.
    if ((n & 31) === 0 && performance.now() - start >= sliceMs) {
      await nextTurn();
      start = performance.now();
    }
  }
}
