import { z } from 'zod';
import { cellRefId, resolveCell } from '../notebooks/cells';
import { plotLinks } from './plotLinks';
import { joinSource } from '../notebooks/nbformat';
import { defineTool, ToolError } from './tool';
import { cellIdParam, pathParam } from './schemas';
import {
  describeResult,
  executorFor,
  LiveSave,
  noteSchema,
  OutputSaver,
  outputsSchema,
  renderForModel,
  runningShape,
  runWithProgress,
  saveOutputs,
  statusSchema,
  timeoutMs,
  timeoutParam,
  waitParam,
} from './execution';
import { runOrAnswer } from './runAnswers';
import { unseenNote } from '../runs/registry';

export const executeNotebookCell = defineTool({
  name: 'execute_notebook_cell',
  title: 'Jupyter notebook cell',
  description:
    "Run one cell of a Jupyter notebook, open or not; outputs saved as they arrive, plots returned as images. Default kernel: the notebook's own (the editor's if open). Long runs answer \"running\" with a run_id (wait_for_run).",
  inputSchema: {
    path: pathParam,
    cell_index: z.number().int().min(0).optional().describe('0-based cell position (or give cell_id).'),
    cell_id: cellIdParam,
    kernel_id: z.string().min(1).optional().describe("Default: the notebook's own kernel."),
    timeout: timeoutParam,
    wait_seconds: waitParam,
  },
  outputSchema: {
    success: z.boolean().optional().describe('True when the cell ran without error; absent while status is "running".'),
    message: z.string().describe('What happened, e.g. "Cell executed: path[2]".'),
    path: z.string().describe('Notebook path relative to the workspace root.'),
    cell_index: z.number().describe('Position of the cell that ran.'),
    cell_id: z.string().optional().describe('Stable id of the cell that ran.'),
    kernel_id: z.string().describe('Kernel the cell ran in.'),
    execution_count: z.number().nullable().describe('Execution number (also saved in the notebook).'),
    status: statusSchema,
    outputs: outputsSchema,
    saved: z.boolean().describe('True when the outputs were written into the notebook (false if the cell was deleted meanwhile).'),
    ...runningShape,
    note: noteSchema,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  runsCode: true,
  async handler(args, ctx, extra) {
    const { notebook, relativePath } = await ctx.notebooks.read(args.path);
    const index = resolveCell(notebook, { index: args.cell_index, cell_id: args.cell_id });
    const cell = notebook.cells[index];
    if (cell.cell_type !== 'code') {
      throw new ToolError(`Cell ${index} of ${relativePath} is a ${cell.cell_type} cell: only code cells run. Use execute_notebook to run all code cells.`);
    }
    const source = joinSource(cell.source);
    const ref = { id: cell.id, index, source };
    const info = { tool: 'execute_notebook_cell' as const, path: relativePath, kernelId: args.kernel_id };
    return runOrAnswer(ctx, extra, info, args.wait_seconds, async (ctl) => {
      const executor = await executorFor(ctx, relativePath, notebook, args.kernel_id);
      info.kernelId = executor.kernelId;
      const live = ctl.run.cellStarted({ index, id: cell.id });
      // Through the editor the outputs appear in the document by themselves; otherwise save them
      // while the cell runs, then once more when it ends.
      const saver = new OutputSaver(ctx, relativePath);
      const liveSave = executor.writesOutputs ? undefined : new LiveSave(saver, ref, live);
      let res;
      try {
        res = await runWithProgress(ctl, (opts) => executor.run({ index, source }, opts), timeoutMs(ctx, args.timeout), {
          base: 0,
          label: `Running ${relativePath}[${index}]`,
          watch: (o, n) => {
            live.update(o, n);
            liveSave?.changed();
          },
        });
      } finally {
        liveSave?.stop();
        await saver.flush().catch(() => undefined);
      }
      info.kernelId = executor.kernelId;
      ctl.run.cellEnded(res.outputs);
      const saved = executor.writesOutputs ? true : await saveOutputs(ctx, relativePath, ref, res);
      const kernelId = executor.kernelId;
      // Outputs a "running" answer already returned are not repeated (all are in the notebook).
      const unseen = ctl.run.unseenOfLastCell(res.outputs);
      const r = renderForModel(ctx, { ...res, outputs: unseen.outputs }, { path: relativePath, cell, index, outputOffset: unseen.earlier });
      const where = `${relativePath}[${index}]`;
      const message =
        res.status === 'ok'
          ? `Cell executed: ${where}`
          : `Cell ${where} did not complete: ${describeResult(res)}`;
      const earlier = unseenNote(unseen, relativePath);
      const notSaved = saved ? '' : ' — outputs not saved: the cell no longer exists';
      return {
        structured: {
          success: res.status === 'ok',
          // Advice in both views: what an earlier "running" answer gave, an unsaved result.
          message: `${message}${earlier}${notSaved}`,
          path: relativePath,
          cell_index: index,
          ...(cell.id ? { cell_id: cell.id } : {}),
          kernel_id: kernelId,
          execution_count: res.execution_count,
          status: res.status,
          outputs: r.outputs as z.infer<typeof outputsSchema>,
          saved,
          ...(executor.note ? { note: executor.note } : {}),
        },
        summary: `${message}${res.status === 'ok' ? ` (${describeResult(res)})` : ''}${earlier}${notSaved}${executor.note ? `\nNote: ${executor.note}` : ''}${r.text ? `\n${r.text}` : ''}`,
        // The plots are saved in the notebook: links the person can open from the chat.
        extra: [...r.images, ...(saved ? plotLinks(relativePath, cellRefId(cell, index), unseen.outputs, unseen.earlier) : [])],
        omitJsonText: true,
      };
    });
  },
});
