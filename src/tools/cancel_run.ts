import { defineTool } from './tool';
import { findRun, runAnswer, runAnswerShape, runIdParam } from './wait_for_run';

export const cancelRun = defineTool({
  name: 'cancel_run',
  title: 'Cancel a run',
  description:
    'Stop a run: interrupts the kernel (state so far is kept); a notebook run stops before its next cell. Returns its final result.',
  inputSchema: { run_id: runIdParam },
  outputSchema: runAnswerShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const run = findRun(ctx, args.run_id);
    const wasRunning = run.running;
    run.cancel();
    // The interrupt takes milliseconds; a kernel that ignores it is reported as still running.
    await run.wait(10_000);
    const a = runAnswer(ctx, run);
    if (!wasRunning) a.summary = `Run ${run.id} had already ended; its result:\n${a.summary}`;
    return a;
  },
});
