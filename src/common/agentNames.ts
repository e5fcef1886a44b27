// How an agent is named to the person (cell markers, the status bar, agent_changes): the MCP
// client's clientInfo.name says which program connected, which is not always the agent's name
// (VS Code's MCP client connects for Copilot's agent mode).
const NAMES: ReadonlyArray<[RegExp, string]> = [
  [/^(visual studio code|code-server|code - oss|vscodium)\b/i, 'Copilot'],
  [/^claude[- ]code$/i, 'Claude Code'],
  [/^roo[ -]?code$/i, 'Roo Code'],
  [/^cline\b/i, 'Cline'],
  [/^cursor\b/i, 'Cursor'],
];

/** The agent's name for people, from the client's clientInfo.name ("an MCP client" when none). */
export function agentName(clientName: string | undefined): string {
  const name = clientName?.trim();
  if (!name) return 'an MCP client';
  return NAMES.find(([re]) => re.test(name))?.[1] ?? name;
}
