// Records the resource notifications a real SDK client receives, and waits on them (events, not sleeps).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

export interface ResourceEvents {
  /** URIs of notifications/resources/updated, in arrival order. */
  updated: string[];
  /** notifications/resources/list_changed received. */
  listChanged: number;
  /** Resolves when `done()` holds (checked now and on each notification); rejects after `ms`. */
  until(done: () => boolean, ms: number, what: string): Promise<void>;
}

export function recordResourceEvents(client: Client): ResourceEvents {
  const waiters = new Set<() => void>();
  const fire = () => {
    for (const w of [...waiters]) w();
  };
  const ev: ResourceEvents = {
    updated: [],
    listChanged: 0,
    until(done, ms, what) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!done()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${ms} ms waiting for ${what}; updated: ${JSON.stringify(ev.updated)}, list_changed: ${ev.listChanged}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    ev.updated.push(n.params.uri);
    fire();
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    ev.listChanged++;
    fire();
  });
  return ev;
}
