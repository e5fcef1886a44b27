import { agentName } from '../common/agentNames';
import { z } from 'zod';
import type { ChangeEntry } from '../agents/changes';
import { defineTool, ToolError } from './tool';
import { pathParam } from './schemas';

/** Changes listed in one result: each is ≈ 110 characters, and the result must fit 8,000 bytes. */
const MAX_LISTED = 40;

export const agentChanges = defineTool({
  name: 'agent_changes',
  title: 'List or revert agent changes',
  description:
    "List agents' changes to a notebook's cells (not yet accepted), or revert yours: all, or cell_ids.",
  inputSchema: {
    path: pathParam,
    action: z.enum(['list', 'revert']).optional().describe('Default "list".'),
    cell_ids: z.array(z.string().min(1)).optional().describe('Revert only these.'),
  },
  outputSchema: {
    path: z.string().describe('Notebook path relative to the workspace root.'),
    message: z.string().describe('What was found or done.'),
    changes: z
      .array(z.looseObject({ cell_id: z.string() }))
      .optional()
      .describe('Changed cells, oldest first: cell_id, index (now), agent, change, at; changed_since when someone edited it after the agent.'),
    more: z.number().optional().describe('Changes not listed to fit the result.'),
    reverted: z.array(z.string()).optional().describe('Cells reverted.'),
    left: z.array(z.looseObject({ cell_id: z.string() })).optional().describe('Cells not reverted, and why.'),
    store: z.enum(['file', 'editor']).optional().describe('Where the revert was applied.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const agents = ctx.agents;
    if (!agents) throw new ToolError('Agent changes are not recorded by this server (no checkpoint store); nothing to list or revert.');
    await agents.ready;
    const me = agentName(ctx.session.clientName?.());
    if ((args.action ?? 'list') === 'revert') {
      const r = await agents.revert(args.path, { agent: me, ...(args.cell_ids ? { cells: args.cell_ids } : {}) });
      const left = r.left.map((l) => ({ cell_id: l.cell_id, agent: l.agent, why: l.why }));
      return {
        structured: {
          path: r.path,
          message: r.message,
          reverted: r.reverted.map((c) => c.cell_id),
          ...(left.length ? { left } : {}),
          store: r.store,
        },
        summary: r.message,
      };
    }
    const { notebook, relativePath } = await ctx.notebooks.read(args.path);
    const listed = agents.list(relativePath, notebook);
    const shown = listed.changes.slice(-MAX_LISTED).map((c) => entry(c, me));
    const more = listed.changes.length - shown.length;
    const byAgent = new Map<string, number>();
    for (const c of listed.changes) byAgent.set(c.agent, (byAgent.get(c.agent) ?? 0) + 1);
    const message =
      listed.changes.length === 0
        ? `No agent changes recorded in ${relativePath} (none made, or the person accepted or reverted them).`
        : `${listed.changes.length} cell${listed.changes.length === 1 ? '' : 's'} changed by agents in ${relativePath} since ${stamp(listed.since)}, not yet accepted: ` +
          `${[...byAgent].map(([a, n]) => `${a === me ? `${a} (you)` : a} ${n}`).join(', ')}. ` +
          `Revert yours with agent_changes {"path":"${relativePath}","action":"revert"} (add "cell_ids" for some).` +
          (listed.problem ? ` ${listed.problem}` : '') +
          (more > 0 ? ` The ${more} oldest are not listed.` : '');
    return {
      structured: { path: relativePath, message, ...(shown.length ? { changes: shown } : {}), ...(more > 0 ? { more } : {}) },
      summary: message,
    };
  },
});

function entry(c: ChangeEntry, me: string): { cell_id: string } & Record<string, unknown> {
  return {
    cell_id: c.cell_id,
    ...(c.index !== undefined ? { index: c.index } : {}),
    agent: c.agent === me ? `${c.agent} (you)` : c.agent,
    change: c.change.join(', '),
    at: stamp(c.at),
    ...(c.changed_since ? { changed_since: true } : {}),
  };
}

/** "2026-12-06 21:34:05 UTC": short and unambiguous. */
function stamp(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
