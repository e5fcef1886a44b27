// @jupyterlab/services, loaded on first use, and the two subclasses of it the Jupyter backend
// needs so that none of its timers or detached promises outlives (or crashes) our process.
import type * as JS from '@jupyterlab/services';

export type Services = typeof JS;

let servicesModule: Services | undefined;
/** Loads @jupyterlab/services on first use (it is large; most sessions never run code). */
export function services(): Services {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  servicesModule ??= require('@jupyterlab/services') as Services;
  return servicesModule;
}

let safeConnection: Services['KernelConnection'] | undefined;
/**
 * KernelConnection whose reconnect() never rejects. After a server-side auto-restart the library
 * calls `await this.reconnect()` in a detached promise; if the connection is disposed or gives up
 * meanwhile, that rejection is unhandled and would crash Node. Callers here watch
 * connectionStatus themselves, so the rejection carries nothing they need.
 */
export function safeConnectionClass(): Services['KernelConnection'] {
  if (!safeConnection) {
    const { KernelConnection } = services();
    safeConnection = class SafeKernelConnection extends KernelConnection {
      override reconnect(): Promise<void> {
        try {
          return super.reconnect().catch(() => undefined);
        } catch {
          return Promise.resolve();
        }
      }
    };
  }
  return safeConnection;
}

type PatientApiClient = JS.KernelAPI.KernelAPIClient & { owner?: { isDisposed: boolean } };
let patientApi: (new (o: { serverSettings: JS.ServerConnection.ISettings }) => PatientApiClient) | undefined;
/**
 * Kernel REST client for one KernelConnection whose getModel() retries on network errors with
 * unref'd timers. When a reconnect attempt fails, the library asks getModel() and, on a network
 * error, retries on its own 10-30 s timer, which cannot be cancelled and keeps Node from exiting
 * long after the connection was disposed. Here the retry stops once the connection is disposed.
 */
export function patientApiClass(): NonNullable<typeof patientApi> {
  if (!patientApi) {
    const { KernelAPI, ServerConnection } = services();
    patientApi = class PatientKernelAPIClient extends KernelAPI.KernelAPIClient {
      owner?: { isDisposed: boolean };
      override async getModel(id: string): Promise<JS.Kernel.IModel | undefined> {
        for (;;) {
          try {
            return await super.getModel(id);
          } catch (e) {
            if (!(e instanceof ServerConnection.NetworkError)) throw e;
            if (this.owner?.isDisposed) return undefined;
            await new Promise<void>((r) => setTimeout(r, 3000).unref());
            if (this.owner?.isDisposed) return undefined;
          }
        }
      }
    };
  }
  return patientApi;
}
