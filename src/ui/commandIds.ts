// Command ids, in one place (package.json contributes the same ids).
export const COMMANDS = {
  startServer: 'jupyterMcp.startServer',
  stopServer: 'jupyterMcp.stopServer',
  restartServer: 'jupyterMcp.restartServer',
  showConnectionInfo: 'jupyterMcp.showConnectionInfo',
  configureRoo: 'jupyterMcp.configureRoo',
  configureCursor: 'jupyterMcp.configureCursor',
  copyClientConfig: 'jupyterMcp.copyClientConfig',
  connectJupyter: 'jupyterMcp.connectJupyter',
  disconnectJupyter: 'jupyterMcp.disconnectJupyter',
  startKernel: 'jupyterMcp.startKernel',
  interruptKernel: 'jupyterMcp.interruptKernel',
  restartKernel: 'jupyterMcp.restartKernel',
  stopKernel: 'jupyterMcp.stopKernel',
  showKernels: 'jupyterMcp.showKernels',
  showLog: 'jupyterMcp.showLog',
  rotateToken: 'jupyterMcp.rotateToken',
} as const;
