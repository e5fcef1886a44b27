// Schema pieces shared by the tool files, so every tool describes the same parameter the same way.
import { z } from 'zod';

export const pathParam = z
  .string()
  .min(1)
  .describe('Notebook path, relative to the workspace.');

export const indexParam = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('0-based cell position (or give cell_id).');

export const cellIdParam = z
  .string()
  .min(1)
  .optional()
  .describe('Stable cell id (from read_notebook).');

/** The cell tools' insist flag, named as write_notebook's (see tools/cellGuard.ts). */
export const overwriteParam = z
  .boolean()
  .optional()
  .describe('Edit even if changed since read.');

export const cellTypeParam = z.enum(['code', 'markdown', 'raw']).describe('Cell type.');

/** Fields every notebook-changing tool returns (seed: success, message). */
export const editResultShape = {
  success: z.boolean().describe('True when the change was made.'),
  message: z.string().describe('What was done, in one sentence.'),
  path: z.string().describe('Notebook path relative to the workspace root.'),
  store: z.enum(['file', 'editor']).describe('"editor" when the change went through the open VS Code notebook (undoable), "file" when the .ipynb on disk was changed.'),
};

export const looseObject = z.looseObject({});

/**
 * A JSON object parameter handed to the tool as the client sent it. zod's object schemas rebuild
 * the object by assignment, which silently drops a "__proto__" key; Jupyter (Python's json) keeps
 * it as an ordinary key, and so must an edit. Advertised as a plain object.
 */
export function objectParam(description: string) {
  return z
    .custom<Record<string, unknown>>((v) => !!v && typeof v === 'object' && !Array.isArray(v), { message: 'expected a JSON object' })
    .meta({ type: 'object' })
    .describe(description);
}
