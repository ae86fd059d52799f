/**
 * A small in-memory IndexedDB, enough for `indexedDbCheckpointStore` to run in Node: `open`
 * with an upgrade, object stores with out-of-line keys, `get`/`put`/`delete`/`getAllKeys`, and
 * transactions that commit all their requests at once (or none: `failNextCommit`), firing
 * `oncomplete`/`onabort` after their requests' `onsuccess`. Values are structured-cloned in and
 * out, as IndexedDB does. Real IndexedDB is exercised in a browser; this checks the store's logic.
 */

type Handler = ((this: unknown, ev: Event) => unknown) | null;

class FakeRequest<T> {
  result!: T;
  error: DOMException | null = null;
  onsuccess: Handler = null;
  onerror: Handler = null;
  onupgradeneeded: Handler = null;
  onblocked: Handler = null;
}

type Stores = Map<string, Map<string, unknown>>;

class FakeTransaction {
  error: DOMException | null = null;
  oncomplete: Handler = null;
  onerror: Handler = null;
  onabort: Handler = null;
  private readonly staged: Stores;
  private readonly requests: Array<() => void> = [];
  constructor(
    private readonly db: FakeDatabase,
    readonly mode: IDBTransactionMode,
    readonly options: unknown,
  ) {
    this.staged = new Map([...db.record.data].map(([name, store]) => [name, new Map(store)]));
    setTimeout(() => this.finish(), 0);
  }
  objectStore(name: string) {
    const store = this.staged.get(name);
    if (store === undefined) throw new DOMException(`no object store ${name}`, "NotFoundError");
    const request = <T>(run: () => T): FakeRequest<T> => {
      const r = new FakeRequest<T>();
      this.requests.push(() => {
        r.result = run();
        r.onsuccess?.call(r, new Event("success"));
      });
      return r;
    };
    const writable = () => {
      if (this.mode !== "readwrite") throw new DOMException("read-only transaction", "ReadOnlyError");
    };
    return {
      get: (key: string) => request(() => structuredClone(store.get(key))),
      getAllKeys: () => request(() => [...store.keys()].sort()),
      put: (value: unknown, key: string) => {
        writable();
        const copy = structuredClone(value);
        return request(() => {
          store.set(key, copy);
          return key;
        });
      },
      delete: (key: string) => {
        writable();
        return request(() => {
          store.delete(key);
          return undefined;
        });
      },
    };
  }
  private finish(): void {
    for (const run of this.requests) run();
    if (this.mode === "readwrite" && this.db.factory.failNextCommit) {
      this.db.factory.failNextCommit = false;
      this.error = new DOMException("the disk is full (simulated)", "QuotaExceededError");
      this.onabort?.call(this, new Event("abort"));
      return;
    }
    if (this.mode === "readwrite") this.db.record.data = this.staged;
    this.db.factory.commits++;
    this.oncomplete?.call(this, new Event("complete"));
  }
}

interface DatabaseRecord {
  version: number;
  data: Stores;
}

class FakeDatabase {
  closed = false;
  onversionchange: Handler = null;
  constructor(
    readonly factory: FakeIndexedDb,
    readonly record: DatabaseRecord,
  ) {}
  get objectStoreNames() {
    return { contains: (name: string) => this.record.data.has(name) };
  }
  createObjectStore(name: string) {
    this.record.data.set(name, new Map());
  }
  transaction(name: string, mode: IDBTransactionMode = "readonly", options?: unknown): FakeTransaction {
    if (this.closed) throw new DOMException("the database connection is closing", "InvalidStateError");
    if (!this.record.data.has(name)) throw new DOMException(`no object store ${name}`, "NotFoundError");
    return new FakeTransaction(this, mode, options);
  }
  close(): void {
    this.closed = true;
  }
}

/** The factory: pass it as `options.indexedDB`. */
export class FakeIndexedDb {
  /** Databases by name: their version and object stores (shared by every connection). */
  readonly databases = new Map<string, DatabaseRecord>();
  /** Makes the next read-write transaction abort instead of committing. */
  failNextCommit = false;
  /** Transactions committed so far. */
  commits = 0;
  open(name: string, version = 1): FakeRequest<FakeDatabase> {
    const request = new FakeRequest<FakeDatabase>();
    setTimeout(() => {
      const known = this.databases.get(name);
      const record: DatabaseRecord = known ?? { version: 0, data: new Map() };
      this.databases.set(name, record);
      request.result = new FakeDatabase(this, record);
      if (record.version < version) {
        request.onupgradeneeded?.call(request, new Event("upgradeneeded"));
        record.version = version;
      }
      request.onsuccess?.call(request, new Event("success"));
    }, 0);
    return request;
  }
  /** This fake as the DOM type the store takes. */
  get asFactory(): IDBFactory {
    return this as unknown as IDBFactory;
  }
}
