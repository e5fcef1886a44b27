// The one list of tools. Each tool lives in its own file; the server registers exactly these.
import type { ToolDef } from './tool';
import { readNotebook } from './read_notebook';
import { readOutput } from './read_output';
import { createNotebook } from './create_notebook';
import { writeNotebook } from './write_notebook';
import { addCell } from './add_cell';
import { removeCell } from './remove_cell';
import { updateCell } from './update_cell';
import { editCellSource } from './edit_cell_source';
import { moveCell } from './move_cell';
import { clearOutputs } from './clear_outputs';
import { listNotebooks } from './list_notebooks';
import { searchNotebooks } from './search_notebooks';
import { listKernels } from './list_kernels';
import { startKernel } from './start_kernel';
import { stopKernel } from './stop_kernel';
import { interruptKernel } from './interrupt_kernel';
import { restartKernel } from './restart_kernel';
import { executeCell } from './execute_cell';
import { executeNotebook } from './execute_notebook';
import { executeNotebookCell } from './execute_notebook_cell';
import { waitForRun } from './wait_for_run';
import { cancelRun } from './cancel_run';
import { listRuns } from './list_runs';
import { agentChanges } from './agent_changes';
import { listVariables } from './list_variables';
import { inspectVariable } from './inspect_variable';
import { inspectCode } from './inspect_code';

export const TOOLS: readonly ToolDef[] = [
  // Notebooks (the seed's six first, then the ones users asked for).
  readNotebook,
  createNotebook,
  writeNotebook,
  addCell,
  removeCell,
  updateCell,
  editCellSource,
  moveCell,
  clearOutputs,
  listNotebooks,
  searchNotebooks,
  readOutput,
  agentChanges,
  // Kernels and execution.
  listKernels,
  startKernel,
  stopKernel,
  interruptKernel,
  restartKernel,
  executeCell,
  executeNotebook,
  executeNotebookCell,
  // What the kernel knows, without running a cell or leaving a trace.
  listVariables,
  inspectVariable,
  inspectCode,
  // Runs: long executions answer "running" and are followed here.
  waitForRun,
  listRuns,
  cancelRun,
] as unknown as readonly ToolDef[];
