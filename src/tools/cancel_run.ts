import { defineTool } from './tool';
import { findRun, runAnswer, runAnswerShape, runIdParam } from './wait_for_run';

export const cancelRun = defineTool({
  name: 'cancel_run',
  title: 'Jupyter run cancellation',
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
    if (!wasRunning) {
      // Said in both views: VS Code's and Claude Code's models read only structuredContent.
      const ended = `Run ${run.id} had already ended, so nothing was cancelled; its result:`;
      a.summary = `${ended}\n${a.summary}`;
      const st = a.structured as { message?: string };
      st.message = st.message ? `${ended} ${st.message}` : ended;
    }
    return a;
  },
});
