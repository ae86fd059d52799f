/**
 * A checkpoint store in the browser's IndexedDB, through the plain IndexedDB API (no wrapper
 * library). One database (default `art-mtl-checkpoints`) with one object store, `checkpoints`;
 * each checkpoint is one record under its name holding all its files, so a save is one `put` in
 * one read-write transaction (requested with `durability: "strict"`): IndexedDB commits it
 * whole or not at all, and a reader sees the old checkpoint or the new one. The files of a save
 * are kept in memory until the commit (a checkpoint is the size of the model and its optimizer
 * state, which are in memory anyway).
 */
import { AdapterError } from "../errors.js";
import { mapCheckpointReader, stagedCheckpointWriter, type CheckpointStore } from "./store.js";

/** The object store's name inside the database. */
export const INDEXEDDB_CHECKPOINT_OBJECT_STORE = "checkpoints";
/** The default database name. */
export const INDEXEDDB_CHECKPOINT_DATABASE = "art-mtl-checkpoints";

const RECORD_FORMAT = "art-mtl-checkpoint-files";

/** One stored record. */
interface CheckpointRecord {
  readonly format: typeof RECORD_FORMAT;
  readonly version: 1;
  /** ISO time of the commit. */
  readonly savedAt: string;
  readonly files: Record<string, Uint8Array>;
}

/** Options of `indexedDbCheckpointStore` and `listIndexedDbCheckpoints`. */
export interface IndexedDbCheckpointOptions {
  /** The database's name (default `"art-mtl-checkpoints"`). */
  readonly database?: string;
  /** The IndexedDB factory (default `globalThis.indexedDB`; pass one in a worker or in tests). */
  readonly indexedDB?: IDBFactory;
}

const factoryOf = (options: IndexedDbCheckpointOptions): IDBFactory => {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) {
    throw new AdapterError(
      "checkpoint",
      "indexedDbCheckpointStore: there is no IndexedDB here (pass options.indexedDB, or use memoryCheckpointStore())",
    );
  }
  return factory;
};

const openDatabase = (factory: IDBFactory, name: string): Promise<IDBDatabase> =>
  new Promise((resolve, reject) => {
    const request = factory.open(name, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(INDEXEDDB_CHECKPOINT_OBJECT_STORE))
        db.createObjectStore(INDEXEDDB_CHECKPOINT_OBJECT_STORE);
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the database: let it (this store reopens per operation).
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
  });

/** Runs one request in one transaction and resolves once the transaction has committed. */
const inTransaction = async <T>(
  factory: IDBFactory,
  database: string,
  mode: IDBTransactionMode,
  body: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> => {
  const db = await openDatabase(factory, database);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx =
        mode === "readwrite"
          ? db.transaction(INDEXEDDB_CHECKPOINT_OBJECT_STORE, mode, { durability: "strict" })
          : db.transaction(INDEXEDDB_CHECKPOINT_OBJECT_STORE, mode);
      const request = body(tx.objectStore(INDEXEDDB_CHECKPOINT_OBJECT_STORE));
      let result: T;
      request.onsuccess = () => {
        result = request.result;
      };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () =>
        reject(
          tx.error ?? request.error ?? new AdapterError("checkpoint", `IndexedDB ${database}: the transaction failed`),
        );
      tx.onabort = () =>
        reject(tx.error ?? new AdapterError("checkpoint", `IndexedDB ${database}: the transaction was aborted`));
    });
  } finally {
    db.close();
  }
};

const isRecord = (value: unknown): value is CheckpointRecord => {
  const r = value as Partial<CheckpointRecord> | null | undefined;
  return (
    typeof r === "object" &&
    r !== null &&
    r.format === RECORD_FORMAT &&
    r.version === 1 &&
    typeof r.files === "object" &&
    r.files !== null &&
    Object.values(r.files).every((bytes) => bytes instanceof Uint8Array)
  );
};

/**
 * The checkpoint named `name` in IndexedDB (browsers). See the module comment for the layout and
 * why a save is atomic.
 *
 * @example
 * const store = indexedDbCheckpointStore("denoiser");
 * await saveCheckpoint(trainer, store, { epoch: 3 });
 * await loadCheckpoint(freshTrainer, store); // after a reload too
 */
export function indexedDbCheckpointStore(name: string, options: IndexedDbCheckpointOptions = {}): CheckpointStore {
  const factory = factoryOf(options);
  const database = options.database ?? INDEXEDDB_CHECKPOINT_DATABASE;
  const location = `indexeddb:${database}/${name}`;
  return {
    location,
    open: async () => {
      const record = await inTransaction<unknown>(factory, database, "readonly", (store) => store.get(name));
      if (record === undefined) return null;
      if (!isRecord(record))
        throw new AdapterError("checkpoint", `${location} is not a checkpoint record (${RECORD_FORMAT} v1)`);
      return mapCheckpointReader(location, new Map(Object.entries(record.files)));
    },
    begin: async () =>
      stagedCheckpointWriter(async (files) => {
        const record: CheckpointRecord = {
          format: RECORD_FORMAT,
          version: 1,
          savedAt: new Date().toISOString(),
          files: Object.fromEntries(files),
        };
        await inTransaction(factory, database, "readwrite", (store) => store.put(record, name));
      }),
    remove: async () => {
      await inTransaction(factory, database, "readwrite", (store) => store.delete(name));
    },
  };
}

/**
 * The names of the checkpoints in an IndexedDB database, sorted.
 *
 * @example
 * await listIndexedDbCheckpoints() // ["denoiser", "derain"]
 */
export async function listIndexedDbCheckpoints(options: IndexedDbCheckpointOptions = {}): Promise<string[]> {
  const keys = await inTransaction(
    factoryOf(options),
    options.database ?? INDEXEDDB_CHECKPOINT_DATABASE,
    "readonly",
    (store) => store.getAllKeys(),
  );
  return keys.map(String).sort();
}
