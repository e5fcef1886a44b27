// A real VS Code host with its chat on and the scripted model of test/host/fixtures/scripted-model
// (see its header): start it, play a scene (one chat query), read what the model was given, hand
// the extension host a command. Used by every chat test (copilotAgent, copilotSurface).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startHost, until, waitForFile, type PwPage, type RunningHost } from './harness';

export const FIXTURE = path.join(__dirname, 'fixtures', 'scripted-model');
export const VENDOR = 'jupyter-mcp-scripted';

/** One event the scripted model wrote (see the fixture's header). */
export interface ModelEvent {
  type: 'ready' | 'request' | 'result' | 'answer';
  scene?: string;
  step?: number;
  tool?: string;
  tools?: string[];
  callId?: string;
  text?: string;
  isError?: boolean;
  userText?: string;
  parts?: { kind: string; value?: string; mimeType?: string; bytes?: number }[];
}

export interface ChatHost {
  host: RunningHost;
  page: PwPage;
  /** Where the extension writes its MCP URL and token. */
  portFile: string;
  /** The labels of the buttons clicked for the person, in order. */
  clicked: string[];
  events(): ModelEvent[];
  /** Runs a command (or opens a notebook) in the extension host: what a shortcut or a menu would do. */
  hand(req: Record<string, unknown>): Promise<unknown>;
  /** Plays one scene: opens the chat in agent mode with our model and the query "scene:<name>"; resolves when the model has closed it. */
  play(name: string, steps: unknown[], timeoutMs?: number): Promise<ModelEvent[]>;
  /** Ends the clicker and the host; resolves with any processes left. */
  stop(): Promise<number[]>;
}

// The one polling wait of the node-side host tests (harness.ts); copilotSurface imports it from here.
export { until };


/** Starts code-server with the extension, the scripted model, and the chat and MCP features on. */
export async function startChatHost(opts: {
  tmp: string;
  workspace: string;
  log?: (s: string) => void;
  /** Also click "Allow in this Session" (Copilot's own run_notebook_cell asks even with auto approve). */
  allowInSession?: boolean;
}): Promise<ChatHost> {
  const modelDir = path.join(opts.tmp, 'model');
  fs.mkdirSync(modelDir, { recursive: true });
  const portFile = path.join(opts.tmp, 'mcp-port.json');
  const host = await startHost({
    extensionPath: path.resolve(__dirname, '..', '..'),
    workspace: opts.workspace,
    extraExtensionPaths: [FIXTURE],
    env: { JUPYTER_MCP_PORT_FILE: portFile, SCRIPTED_MODEL_DIR: modelDir },
    timeoutMs: 180_000,
    userSettings: {
      'chat.disableAIFeatures': false,
      'chat.allowAnonymousAccess': true,
      'chat.tools.global.autoApprove': true,
      'chat.mcp.autostart': 'newAndOutdated',
      'chat.mcp.access': 'all',
      'jupyterMcp.port': 0,
    },
    userFiles: { 'chatLanguageModels.json': JSON.stringify([{ name: 'Scripted', vendor: VENDOR }]) },
  });
  const page = host.page;
  await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  await waitForFile(portFile, 180_000);
  const events = (): ModelEvent[] => {
    try {
      return fs
        .readFileSync(path.join(modelDir, 'received.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ModelEvent);
    } catch {
      return [];
    }
  };
  await until('the scripted model to be registered', () => events().some((e) => e.type === 'ready'), 120_000);

  let handCount = 0;
  const hand = async (req: Record<string, unknown>): Promise<unknown> => {
    const name = `${++handCount}.json`;
    const dir = path.join(modelDir, 'requests');
    fs.writeFileSync(path.join(dir, `${name}.tmp`), JSON.stringify(req));
    fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));
    const answer = JSON.parse(await waitForFile(path.join(modelDir, 'answers', name), 120_000)) as { value?: unknown; error?: string };
    if (answer.error) throw new Error(`in the extension host, ${JSON.stringify(req)} failed: ${answer.error}`);
    return answer.value;
  };

  // What a person clicks when asked: "Enable" in the one-time "Enable global auto approve?" dialog,
  // and (allowInSession) "Allow in this Session" for Copilot's own tools that ask even so (VS Code
  // reads the auto-approve setting of such tools from the browser's local settings).
  const buttons: (readonly [string, string])[] = [['.monaco-dialog-box', 'Enable']];
  if (opts.allowInSession) buttons.push(['.chat-confirmation-widget-buttons', 'Allow in this Session']);
  const clicked: string[] = [];
  let stopped = false;
  const clicker = (async () => {
    while (!stopped) {
      for (const [where, label] of buttons) {
        const b = page.locator(`${where} .monaco-button:visible`, { hasText: new RegExp(`^\\s*${label}\\s*$`) }).first();
        if ((await b.count().catch(() => 0)) === 0) continue;
        await b.click({ timeout: 5_000 }).catch(() => undefined);
        clicked.push(label);
        opts.log?.(`clicked "${label}"`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();

  const scenes: Record<string, unknown[]> = {};
  const play = async (name: string, steps: unknown[], timeoutMs = 240_000): Promise<ModelEvent[]> => {
    scenes[name] = steps;
    fs.writeFileSync(path.join(modelDir, 'script.json'), JSON.stringify({ scenes }));
    await hand({ command: 'workbench.action.chat.open', args: [{ query: `scene:${name}`, mode: 'agent', modelSelector: { vendor: VENDOR } }] });
    await until(`scene ${name} to be played`, () => events().find((e) => e.type === 'answer' && e.scene === name && e.text !== undefined), timeoutMs);
    return events().filter((e) => e.scene === name);
  };

  return {
    host,
    page,
    portFile,
    clicked,
    events,
    hand,
    play,
    stop: async () => {
      stopped = true;
      await clicker;
      return host.stop();
    },
  };
}
