import path from 'node:path';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import { BatchWriter } from './store/batch-writer.js';
import { openDatabase, type Database } from './store/level-db.js';
import { LevelObjectStore } from './store/object-store-level.js';
import { MemoryObjectStore } from './store/object-store-memory.js';
import { LevelObservationStore } from './store/observation-level.js';
import { MemoryObservationStore } from './store/observation-memory.js';
import { LevelRequestQueueStore } from './store/queue-level.js';
import { MemoryRequestQueueStore } from './store/queue-memory.js';
import { LevelRegistrationStore } from './store/registration-level.js';
import { MemoryRegistrationStore } from './store/registration-memory.js';
import type { ObjectStore, ObservationStore, RegistrationStore, RequestQueueStore } from './store/types.js';
import { LevelSecurityStore } from './security/security-level.js';
import { MemorySecurityStore } from './security/security-memory.js';
import type { SecurityStore } from './security/types.js';
import { LevelBootstrapConfigStore } from './store/bootstrap-config-level.js';
import { MemoryBootstrapConfigStore } from './store/bootstrap-config-memory.js';
import type { BootstrapConfigStore } from './lwm2m/bootstrap/types.js';

export interface Stores {
  registrations: RegistrationStore;
  observations: ObservationStore;
  queue: RequestQueueStore;
  objects: ObjectStore;
  security: SecurityStore;
  bootstrapConfigs: BootstrapConfigStore;
  /** The LevelDB database and its batch writer (absent in memory mode), for layers with stores of their own. */
  level?: { db: Database; writer: BatchWriter };
  close(): Promise<void>;
}

/** Opens every store: one LevelDB (`<data>/db`) with one batch writer, or all in memory. */
export async function openStores(config: Readonly<ServerConfig>, logger: Logger, options: { onBatch?: (seconds: number) => void } = {}): Promise<Stores> {
  const retention = { maxEntries: config.objectStore.historyEntries, maxAgeMs: config.objectStore.historyMaxAgeMs };
  if (config.storage === 'memory') {
    return {
      registrations: new MemoryRegistrationStore(),
      observations: new MemoryObservationStore(),
      queue: new MemoryRequestQueueStore(),
      objects: new MemoryObjectStore({ retention }),
      security: new MemorySecurityStore(),
      bootstrapConfigs: new MemoryBootstrapConfigStore(),
      close: async () => undefined,
    };
  }
  const db = await openDatabase(path.join(config.dataDir, 'db'));
  try {
    const writer = new BatchWriter(db, options.onBatch ? { onBatch: options.onBatch } : {});
    const log = logger.child({ component: 'store' });
    // Opened side by side: LevelDB reads run on libuv's threads while JSON is parsed here.
    const [registrations, observations, queue, objects, security, bootstrapConfigs] = await Promise.all([
      LevelRegistrationStore.open(db, writer, { logger: log }),
      LevelObservationStore.open(db, writer, { logger: log }),
      LevelRequestQueueStore.open(db, writer, { logger: log }),
      LevelObjectStore.open(db, writer, { retention, logger: log }),
      LevelSecurityStore.open(db, writer),
      LevelBootstrapConfigStore.open(db, writer, { logger: log }),
    ]);
    const stores = { registrations, observations, queue, objects, security, bootstrapConfigs };
    return {
      ...stores,
      level: { db, writer },
      close: async () => {
        for (const s of Object.values(stores)) await s.close();
        await writer.flush();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
