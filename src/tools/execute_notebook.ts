import { z } from 'zod';
import { KernelError } from '../kernels/backend';
import { joinSource } from '../notebooks/nbformat';
import { defineTool, ToolError } from './tool';
import { pathParam } from './schemas';
import { describeResult, executorFor, LiveSave, noteSchema, OutputSaver, renderForModel, runningShape, runWithProgress, SequenceReader, timeoutMs, timeoutParam, waitParam } from './execution';
import { runOrAnswer } from './runAnswers';

export const executeNotebook = defineTool({
  name: 'execute_notebook',
  title: 'Jupyter notebook, all cells',
  description:
    "Run all code cells of a Jupyter notebook, open or not, saving outputs as they arrive; stops at the first error unless continue_on_error. Default kernel: the notebook's own. Long runs answer \"running\" with a run_id (wait_for_run).",
  inputSchema: {
    path: pathParam,
    kernel_id: z.string().min(1).optional().describe("Default: the notebook's own kernel."),
    timeout: timeoutParam,
    continue_on_error: z.boolean().optional().describe('Go on after a failing cell (default false).'),
    wait_seconds: waitParam,
  },
  outputSchema: {
    success: z.boolean().optional().describe('True when every code cell ran without error; absent while status is "running".'),
    message: z.string().describe('What happened, e.g. "Notebook executed: path".'),
    path: z.string().describe('Notebook path relative to the workspace root.'),
    kernel_id: z.string().describe('Kernel the cells ran in.'),
    cell_count: z.number().describe('Number of cells in the notebook (all types).'),
    code_cells: z.number().describe('Number of non-empty code cells to run.'),
    executed: z.number().describe('Number of code cells that were run (outputs saved).'),
    error_count: z.number().describe('Number of cells that failed or timed out.'),
    failed_cell: z
      .object({
        index: z.number().describe('Position of the first failing cell.'),
        id: z.string().optional().describe('Its stable id.'),
        ename: z.string().describe('Exception name ("Timeout" for a time-out).'),
        evalue: z.string().describe('Exception message.'),
        output: z.string().optional().describe('Its outputs as the model reads them, traceback included.'),
      })
      .optional()
      .describe('The first cell that failed, if any (its outputs are also saved in the notebook).'),
    status: z.literal('running').optional().describe('Present while the run goes on: call wait_for_run with run_id.'),
    outputs: z.array(z.looseObject({})).optional().describe('While running: outputs since the last answer, each with its cell_index.'),
    running_cell: z.number().optional().describe('While running: index of the cell running now.'),
    ...runningShape,
    note: noteSchema,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  runsCode: true,
  async handler(args, ctx, extra) {
    const { notebook, relativePath } = await ctx.notebooks.read(args.path);
    const targets = notebook.cells
      .map((cell, index) => ({ cell, index, source: joinSource(cell.source) }))
      .filter((t) => t.cell.cell_type === 'code' && t.source.trim() !== '');
    const info = { tool: 'execute_notebook' as const, path: relativePath, kernelId: args.kernel_id, total: targets.length };
    return runOrAnswer(ctx, extra, info, args.wait_seconds, async (ctl) => {
      const executor = await executorFor(ctx, relativePath, notebook, args.kernel_id);
      info.kernelId = executor.kernelId;
      const ms = timeoutMs(ctx, args.timeout);
      const saver = new OutputSaver(ctx, relativePath);
      let executed = 0;
      let errors = 0;
      let failed: { index: number; id?: string; ename: string; evalue: string; output?: string } | undefined;
      let failureText = '';
      let stoppedEarly = false;
      // The cells' requests can all go to the kernel at once: it queues them and aborts the rest
      // after an error, so no cell waits for a round trip. With continue_on_error a Jupyter kernel
      // gets the cells one by one (it must not skip any of them); the editor sends the cells after
      // a failing one as a new range (sequenceContinues).
      const seq =
        executor.runSequence && targets.length > 1 && (!args.continue_on_error || executor.sequenceContinues)
          ? new SequenceReader(
              executor.runSequence(targets, { timeoutMs: ms, signal: ctl.signal, continueOnError: args.continue_on_error, onOutput: (i, o, n) => seq?.onOutput(i, o, n) }),
            )
          : undefined;
      try {
        for (const [k, t] of targets.entries()) {
          if (ctl.signal.aborted) {
            stoppedEarly = true;
            break;
          }
          const label = `Cell ${k + 1}/${targets.length} (index ${t.index})`;
          void ctl.progress(k, `${label}: running`, targets.length).catch(() => undefined);
          const ref = { id: t.cell.id, index: t.index, source: t.source };
          const live = ctl.run.cellStarted({ index: t.index, id: t.cell.id });
          const liveSave = executor.writesOutputs ? undefined : new LiveSave(saver, ref, live);
          let res;
          try {
            res = await runWithProgress(ctl, (opts) => (seq ? seq.next(k, opts.onOutput) : executor.run(t, opts)), ms, {
              base: k,
              total: targets.length,
              label,
              watch: (o, n) => {
                live.update(o, n);
                liveSave?.changed();
              },
            });
          } catch (e) {
            liveSave?.stop();
            const why = e instanceof KernelError || e instanceof Error ? e.message : String(e);
            await saver.flush().catch(() => undefined);
            throw new ToolError(
              `execute_notebook stopped at cell index ${t.index} of ${relativePath}: ${why}` +
                (executed ? ` The ${executed} cell${executed === 1 ? '' : 's'} before it ran and their outputs are saved.` : ''),
            );
          }
          liveSave?.stop();
          info.kernelId = executor.kernelId;
          if (!executor.writesOutputs) saver.add(ref, res);
          ctl.run.cellEnded(res.outputs);
          executed++;
          if (res.status !== 'ok') {
            errors++;
            if (!failed) {
              const err = res.outputs.find((o) => o.output_type === 'error');
              failed = {
                index: t.index,
                ...(t.cell.id ? { id: t.cell.id } : {}),
                ename: err ? String(err.ename) : res.status === 'timeout' ? 'Timeout' : res.status,
                evalue: err ? String(err.evalue) : (res.message ?? ''),
              };
              const r = renderForModel(ctx, res, { path: relativePath, cell: t.cell, index: t.index });
              failureText = `Cell ${t.index}: ${describeResult(res)}${r.text ? `\n${r.text}` : ''}`;
              // VS Code and Claude Code models read structuredContent only: the traceback goes there too.
              if (r.text) failed.output = r.text;
            }
            // An aborted run (client cancelled) always stops; errors stop unless asked to go on.
            if (res.status === 'aborted' || !args.continue_on_error) {
              stoppedEarly = k < targets.length - 1 || res.status === 'aborted';
              break;
            }
          }
        }
      } finally {
        await seq?.close();
      }
      await saver.flush();
      // The whole of it, with no message: VS Code shows a call's last progress message as the
      // finished call's label (this one read "done" where "Ran …" belongs).
      void ctl.progress(targets.length, undefined, targets.length).catch(() => undefined);

      const success = errors === 0 && !stoppedEarly;
      const message = success
        ? `Notebook executed: ${relativePath} (${executed} code cell${executed === 1 ? '' : 's'})`
        : ctl.signal.aborted
          ? `Notebook execution cancelled: ${relativePath} (${executed} of ${targets.length} code cells ran; their outputs are saved)`
          : `Notebook execution ${stoppedEarly ? 'stopped' : 'finished'} with ${errors} failing cell${errors === 1 ? '' : 's'}: ${relativePath}` +
            (failed ? ` (first: cell ${failed.index}, ${failed.ename}: ${failed.evalue})` : '') +
            `; ${executed} of ${targets.length} code cells ran, their outputs are saved.`;
      return {
        structured: {
          success,
          message,
          path: relativePath,
          kernel_id: executor.kernelId,
          cell_count: notebook.cells.length,
          code_cells: targets.length,
          executed,
          error_count: errors,
          ...(failed ? { failed_cell: failed } : {}),
          ...(executor.note ? { note: executor.note } : {}),
        },
        summary: (failureText ? `${message}\n${failureText}` : message) + (executor.note ? `\nNote: ${executor.note}` : ''),
      };
    });
  },
});
