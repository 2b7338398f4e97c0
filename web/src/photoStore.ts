// The judge's photos kept on the phone (M1.6) until the server has them: a
// chosen photo is written here before it is sent, so a dead spot, a closed
// tab or a reload loses nothing. The console uses IndexedDB; tests use the
// in-memory store behind the same interface. Only the bytes, their type and
// the file's name are kept here; what belongs to which sheet is kept with
// the sheet queue in localStorage.

export interface StoredPhoto {
  /** The queue's key for the photo: "<account>/<uuid>". */
  key: string
  blob: Blob
  name: string
  added_at: string
}

export interface PhotoStore {
  /** Resolves once the photo is written (for IndexedDB: the transaction completed). */
  put(p: StoredPhoto): Promise<void>
  get(key: string): Promise<StoredPhoto | undefined>
  delete(key: string): Promise<void>
  /** Every key in the store (all accounts of this browser). */
  keys(): Promise<string[]>
}

/** A store in memory (tests; or where IndexedDB is missing, for the life of the page). */
export function memoryPhotoStore(): PhotoStore & { readonly size: number } {
  const m = new Map<string, StoredPhoto>()
  return {
    async put(p) {
      m.set(p.key, { ...p })
    },
    async get(key) {
      const p = m.get(key)
      return p && { ...p }
    },
    async delete(key) {
      m.delete(key)
    },
    async keys() {
      return [...m.keys()]
    },
    get size() {
      return m.size
    },
  }
}

/** The type a photo is sent with: JPEG or PNG by its first bytes, else what the browser said. */
export function photoType(head: Uint8Array, declared: string): string {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg'
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'image/png'
  return declared || 'application/octet-stream'
}

// In IndexedDB the bytes go in as an ArrayBuffer, read when the photo is
// chosen: a File handed out by the camera input may not be readable later,
// and older mobile browsers store Blobs badly.
interface Row {
  key: string
  data: ArrayBuffer
  type: string
  name: string
  added_at: string
}

const STORE = 'photos'

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

/** The store in IndexedDB (database `name`, one object store of rows by key). */
export function indexedDBPhotoStore(name = 'tuijin-sheet-photos', factory: IDBFactory = indexedDB): PhotoStore {
  let db: Promise<IDBDatabase> | null = null
  const open = () => {
    if (!db) {
      const attempt = (version?: number) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const req = factory.open(name, version)
          req.onupgradeneeded = () => {
            if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'key' })
          }
          req.onsuccess = () => {
            const got = req.result
            if (got.objectStoreNames.contains(STORE)) {
              got.onversionchange = () => {
                got.close() // another tab upgrades: open again on next use
                db = null
              }
              return resolve(got)
            }
            // A database of this name without the store (made by something
            // else): one version up creates it.
            got.close()
            attempt(got.version + 1).then(resolve, reject)
          }
          req.onerror = () => reject(req.error)
          req.onblocked = () => reject(new Error('the photo store is blocked by another tab'))
        })
      db = attempt()
      db.catch(() => {
        db = null // try again next time
      })
    }
    return db
  }
  /** Runs one request in its own transaction; a write resolves when the transaction completed. */
  async function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const tx = (await open()).transaction(STORE, mode)
    const result = promised(fn(tx.objectStore(STORE)))
    result.catch(() => {}) // its failure is the transaction's, thrown below
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error ?? new Error('the photo store aborted the write'))
    })
    return result
  }
  return {
    async put(p) {
      const data = await p.blob.arrayBuffer()
      const row: Row = { key: p.key, data, type: p.blob.type, name: p.name, added_at: p.added_at }
      await run('readwrite', (s) => s.put(row))
    },
    async get(key) {
      const row = (await run('readonly', (s) => s.get(key))) as Row | undefined
      return row && { key: row.key, blob: new Blob([row.data], { type: row.type }), name: row.name, added_at: row.added_at }
    },
    async delete(key) {
      await run('readwrite', (s) => s.delete(key))
    },
    async keys() {
      return (await run('readonly', (s) => s.getAllKeys())).map(String)
    },
  }
}
