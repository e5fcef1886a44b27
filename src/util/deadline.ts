// Settles with 'timeout' after `ms` or 'abort' when the signal fires, whichever comes first; to
// race against a run. dispose() clears the timer and the listener once the race is over.
export function timeoutOrAbort(ms: number, signal?: AbortSignal): { stop: Promise<'timeout' | 'abort'>; dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<'timeout' | 'abort'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    onAbort = () => resolve('abort');
    if (signal?.aborted) resolve('abort');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return {
    stop,
    dispose: () => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    },
  };
}
