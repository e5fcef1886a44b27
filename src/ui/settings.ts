// Typed access to the extension's settings (contributes.configuration in package.json).
import * as vscode from 'vscode';
import type { ResultShape } from '../common/content';
import { DEFAULT_MAX_WAIT_SECONDS } from '../runs/waits';

const RESULT_SHAPES: readonly ResultShape[] = ['auto', 'structured', 'text'];

export const SECTION = 'jupyterMcp';

export interface ExtensionSettings {
  autoStart: boolean;
  port: number;
  saveAfterEdit: boolean;
  jupyterServerUrl: string;
  executionTimeout: number;
  maxOutputChars: number;
  maxImageKb: number;
  /** Set by the person: every client gets it. Unset: each client its own budget (src/server/clientBudgets.ts). */
  maxResultChars?: number;
  /** Seconds an execution call may wait before answering "running" (the per-client defaults are under it). */
  maxWait: number;
  resultShape: ResultShape;
  /** Also write which agent changed a cell into the cell's metadata ("jupyter_mcp"), for people without these markers. */
  agentProvenanceInMetadata: boolean;
}

export function readSettings(): ExtensionSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    autoStart: c.get<boolean>('autoStart', true),
    port: c.get<number>('port', 3000),
    saveAfterEdit: c.get<boolean>('saveAfterEdit', true),
    jupyterServerUrl: userValue<string>(c, 'jupyterServerUrl') ?? '',
    executionTimeout: c.get<number>('executionTimeout', 300),
    maxOutputChars: c.get<number>('maxOutputChars', 20000),
    maxImageKb: c.get<number>('maxImageKb', 512),
    // Below 4,000 a notebook page could not hold one cell's outline and the paging hint.
    maxResultChars: maxResultChars(c.get<number | null>('maxResultChars', null)),
    maxWait: Math.min(86_400, Math.max(0, c.get<number>('maxWait', DEFAULT_MAX_WAIT_SECONDS))),
    resultShape: RESULT_SHAPES.find((v) => v === c.get<string>('resultShape')) ?? 'auto',
    agentProvenanceInMetadata: c.get<boolean>('agentProvenanceInMetadata', false),
  };
}

/** The budget the person set (null or unset: per client). */
function maxResultChars(v: number | null | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(4000, v) : undefined;
}

/**
 * A setting as the person set it in their user settings, never from the workspace: a cloned
 * repository's .vscode/settings.json must not be able to send the Jupyter token somewhere else
 * (the token is saved for the URL the person connected to). package.json also declares the
 * setting machine-scoped and restricted; this read does not depend on VS Code honouring that.
 */
function userValue<T>(c: vscode.WorkspaceConfiguration, key: string): T | undefined {
  return c.inspect<T>(key)?.globalValue;
}

export async function updateSetting(key: keyof ExtensionSettings, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}
