// One status bar item: server state, connected clients and kernels (count, busy/idle), live.
// Clicking it opens the kernel quick pick.
import * as vscode from 'vscode';
import type { ServerController } from './serverController';
import { COMMANDS } from './commandIds';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('jupyterMcp.status', vscode.StatusBarAlignment.Right, 100);
  private readonly sub: vscode.Disposable;

  constructor(private readonly server: ServerController) {
    this.item.name = 'Jupyter MCP';
    this.item.command = COMMANDS.showKernels;
    this.sub = server.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  /** The text shown, exposed for tests. */
  get text(): string {
    return this.item.text;
  }
  get tooltip(): string {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : (this.item.tooltip?.value ?? '');
  }

  render(): void {
    const s = this.server;
    const { kernels, error } = s.kernelView;
    const busy = kernels.filter((k) => k.state === 'busy').length;
    const dead = kernels.filter((k) => k.state === 'dead').length;
    const kernelText = kernels.length === 0 ? 'no kernels' : `${kernels.length} kernel${kernels.length === 1 ? '' : 's'}${busy ? ` (${busy} busy)` : ' idle'}${dead ? `, ${dead} dead` : ''}`;
    switch (s.state) {
      case 'running':
        this.item.text = `${busy ? '$(sync~spin)' : '$(notebook)'} MCP :${s.port} · ${s.sessions} client${s.sessions === 1 ? '' : 's'} · ${kernelText}`;
        this.item.backgroundColor = dead ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
        break;
      case 'starting':
        this.item.text = '$(loading~spin) MCP starting';
        this.item.backgroundColor = undefined;
        break;
      case 'failed':
        this.item.text = '$(error) MCP failed';
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
      default:
        this.item.text = '$(circle-slash) MCP stopped';
        this.item.backgroundColor = undefined;
    }
    const lines = [`Jupyter MCP — ${s.state}${s.url ? ` at ${s.url}` : ''}`];
    if (s.lastError) lines.push(s.lastError);
    if (s.state === 'running') {
      lines.push(`${s.sessions} MCP client session${s.sessions === 1 ? '' : 's'}`);
      lines.push(`Jupyter server: ${s.jupyterUrl ? new URL(s.jupyterUrl).origin : 'not connected'}`);
      for (const k of kernels) lines.push(`• ${k.name} ${k.id.slice(0, 8)} — ${k.state}${k.notebook ? ` — ${k.notebook}` : ''} (${k.backend})`);
      if (error && kernels.length === 0) lines.push(`Kernels: ${error.split('. ')[0]}.`);
    }
    // Per notebook, how many cells each agent changed that the person has not accepted yet; the
    // notebooks the agents began on most recently first (past eight the rest are only counted).
    const changed = [...s.agentChanges].sort((a, b) => b.since - a.since);
    if (changed.length > 0) {
      lines.push('', 'Agent changes not yet accepted:');
      for (const n of changed.slice(0, 8)) {
        const who = Object.entries(n.agents).map(([agent, cells]) => `${agent} ${cells} cell${cells === 1 ? '' : 's'}`).join(', ');
        lines.push(`• ${n.path} — ${who}${n.problem ? ' (checkpoint not saved)' : ''}`);
      }
      if (changed.length > 8) lines.push(`• and ${changed.length - 8} more notebooks`);
      lines.push('"Jupyter MCP: Show Agent Changes" to review, revert or accept them.');
    }
    lines.push('Click to manage kernels.');
    this.item.tooltip = lines.join('\n');
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
