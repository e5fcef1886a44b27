// nbformat 4 types, validation and a serializer that writes byte-for-byte what Jupyter writes.
// No vscode import: shared by the file store, the editor store, the CLI and the tests. This file is
// their one import; the work is split by responsibility:
// - nbformatTypes.ts: the types, line splitting, making cells and empty notebooks;
// - nbformatParse.ts: validating and parsing (text and bytes, in time slices);
// - nbformatWrite.ts: serializing as Jupyter does, with per-cell cached bytes.
export type { Cell, CellType, MultilineString, Notebook, Output } from './nbformatTypes';
export { CELL_TYPES, emptyNotebook, joinSource, makeCell, newCellId, normaliseOutput, NotebookFormatError, splitLines, supportsCellIds } from './nbformatTypes';
export { fileBytes, parseNotebook, parseNotebookBytes, parseNotebookBytesSliced, validateCell, validateNotebook, validateNotebookSliced } from './nbformatParse';
export { serializeNotebook, serializeNotebookPieces, serializeNotebookPiecesSliced } from './nbformatWrite';
