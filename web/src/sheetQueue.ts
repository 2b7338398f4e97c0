// A judge's observation sheets waiting to reach the server (M1.6). A sheet
// gets its idempotency key when the judge presses Submit and is written to
// localStorage before anything is sent; it is sent again with the same key,
// with growing pauses, until the server takes it (201, possibly a replay of
// an earlier send that did arrive) or refuses it for good (a 4xx other than
// 401, 408 and 429), when it leaves the queue with the reason.
//
// The judge's photos of a site go the same way. A chosen photo is written
// to the phone's photo store (IndexedDB) and named in the site's draft
// (localStorage) before it is uploaded; it is uploaded as soon as the
// network allows, and its server id is kept with it. Submit moves the
// draft's photos onto the queued sheet; sending a sheet uploads those not
// yet uploaded first — the server answers the same bytes for the same site
// with the photo it already has, so a retry after a lost answer never
// counts twice — and then sends the sheet with their ids. A photo the
// server refuses for good (an unreadable image, say) does not hold the
// sheet back: it is left out with a note the judge sees. Once the sheet is
// taken, its photos leave the phone.
import { ApiError } from './api/client'
import { memoryPhotoStore, type PhotoStore } from './photoStore'

/** A photo of a sheet: its key in the photo store and, once uploaded, the server's id. */
export interface PhotoRef {
  key: string
  name: string
  id?: string
}

/** Why the server refused a photo for good (zh and en). */
export interface PhotoRefusal {
  code: string
  reason_zh: string
  reason_en: string
}

/** A photo taken for a site whose sheet is not sent yet. */
export interface DraftPhoto extends PhotoRef {
  event_id: string
  project_id: string
  /** Refused by the server for good: shown at the photo and left out of the sheet. */
  failed?: PhotoRefusal
}

/** A photo left out of a queued sheet because the server refused it for good. */
export interface DroppedPhoto extends PhotoRefusal {
  key: string
  event_id: string
  project_id: string
  name: string
}

/** A photo on the server that the judge took off a draft (it stays there, off the sheet). */
export interface RemovedPhoto {
  id: string
  event_id: string
  project_id: string
}

export interface QueuedSheet {
  key: string
  event_id: string
  project_id: string
  points: Record<string, number>
  comment: string
  /** Its photos, in order (absent in sheets queued before photos were taken). */
  photos?: PhotoRef[]
  queued_at: string
  attempts: number
}

/** A sheet the server refused for good, with its reason (zh and en). */
export interface RejectedSheet extends QueuedSheet {
  reason_zh: string
  reason_en: string
}

export type NewSheet = Pick<QueuedSheet, 'event_id' | 'project_id' | 'points' | 'comment' | 'photos'>

/** Sends one sheet; resolves when the server answered 201, throws otherwise. */
export type Sender = (s: QueuedSheet) => Promise<void>

/** A photo to upload for a site's sheet. */
export interface PhotoUpload {
  event_id: string
  project_id: string
  key: string
  blob: Blob
  name: string
}

/** Uploads one photo; resolves with the server's photo (201, or a replay of the same bytes), throws otherwise. */
export type PhotoSender = (p: PhotoUpload) => Promise<{ id: string }>

export interface QueueOptions {
  account: string
  storage: Pick<Storage, 'getItem' | 'setItem'>
  send: Sender
  /** Where chosen photos are kept until the server has them (IndexedDB in the console). */
  photos?: PhotoStore
  sendPhoto?: PhotoSender
  newKey?: () => string
  now?: () => Date
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (t: unknown) => void
  /** The first pause after a failed send; it doubles up to maxDelay. */
  baseDelay?: number
  maxDelay?: number
  onChange?: () => void
}

interface Stored {
  pending: QueuedSheet[]
  rejected: RejectedSheet[]
  drafts: DraftPhoto[]
  dropped: DroppedPhoto[]
  removed: RemovedPhoto[]
}

/** The localStorage key of an account's queue. */
export const storageKey = (account: string) => 'tuijin.observation.sheets.' + account

/** Whether an error is the server's final word on a sheet (retrying cannot help). */
export function isDefinitive(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status)
}

/** A photo named in the queue whose bytes are no longer in the photo store (the browser's data was cleared). */
export class PhotoGone extends Error {
  constructor(readonly key: string) {
    super('photo no longer stored: ' + key)
  }
}

/** Whether an error is final for a photo: the server's word, or its bytes are gone. */
export function isDefinitivePhoto(err: unknown): boolean {
  return err instanceof PhotoGone || isDefinitive(err)
}

function refusal(err: unknown): PhotoRefusal {
  if (err instanceof ApiError) return { code: err.code, reason_zh: err.messageZH, reason_en: err.messageEN }
  return { code: 'photo_gone', reason_zh: '照片已不在本机（浏览器数据可能已被清除）', reason_en: 'the photo is no longer on this phone (the browser’s data may have been cleared)' }
}

/** The pause before the n-th retry (n ≥ 1). */
export function backoff(n: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, n - 1))
}

const sameSite = (a: { event_id: string; project_id: string }, event: string, project: string) => a.event_id === event && a.project_id === project

export class SheetQueue {
  private readonly o: Required<Omit<QueueOptions, 'onChange'>> & Pick<QueueOptions, 'onChange'>
  private state: Stored
  private timer: unknown = null
  private running: Promise<void> | null = null
  private again = false
  private failures = 0
  /** Photos being written to the store, not yet named in the queue. */
  private readonly adding = new Set<string>()

  constructor(opts: QueueOptions) {
    this.o = {
      newKey: () => crypto.randomUUID(),
      now: () => new Date(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      baseDelay: 2000,
      maxDelay: 60000,
      photos: memoryPhotoStore(),
      sendPhoto: () => Promise.reject(new Error('no photo sender')),
      ...opts,
    }
    this.state = this.read()
  }

  private read(): Stored {
    const list = <T>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : [])
    try {
      const s = JSON.parse(this.o.storage.getItem(storageKey(this.o.account)) ?? '') as Partial<Stored>
      return { pending: list(s.pending), rejected: list(s.rejected), drafts: list(s.drafts), dropped: list(s.dropped), removed: list(s.removed) }
    } catch {
      return { pending: [], rejected: [], drafts: [], dropped: [], removed: [] }
    }
  }

  private write() {
    this.o.storage.setItem(storageKey(this.o.account), JSON.stringify(this.state))
    this.o.onChange?.()
  }

  /** Sheets waiting to be sent, oldest first. */
  get pending(): readonly QueuedSheet[] {
    return this.state.pending
  }

  /** Sheets the server refused, with the reason. */
  get rejected(): readonly RejectedSheet[] {
    return this.state.rejected
  }

  /** Photos of sheets not yet submitted, in the order taken. */
  get drafts(): readonly DraftPhoto[] {
    return this.state.drafts
  }

  /** Photos left out of sent sheets, until the judge has read why. */
  get dropped(): readonly DroppedPhoto[] {
    return this.state.dropped
  }

  /** Server photos the judge took off a draft. */
  get removed(): readonly RemovedPhoto[] {
    return this.state.removed
  }

  /** The photos of a site's draft. */
  draftPhotos(event: string, project: string): DraftPhoto[] {
    return this.state.drafts.filter((d) => sameSite(d, event, project))
  }

  /** A photo's bytes while the phone keeps them. */
  async photo(key: string): Promise<Blob | undefined> {
    return (await this.o.photos.get(key))?.blob
  }

  /**
   * Keeps a chosen photo on the phone, then names it in the site's draft and
   * starts uploading it. Throws (and names nothing) if the store cannot keep it.
   */
  async addPhoto(event_id: string, project_id: string, blob: Blob, name = ''): Promise<DraftPhoto> {
    const key = this.o.account + '/' + this.o.newKey()
    this.adding.add(key)
    try {
      await this.o.photos.put({ key, blob, name, added_at: this.o.now().toISOString() })
      const d: DraftPhoto = { key, name, event_id, project_id }
      this.state.drafts.push(d)
      this.write()
      void this.flush()
      return d
    } finally {
      this.adding.delete(key)
    }
  }

  /** Takes a photo off a site's draft; one already uploaded stays on the server, off the sheet. */
  removePhoto(event_id: string, project_id: string, key: string, id?: string) {
    const d = this.state.drafts.find((x) => x.key === key)
    this.state.drafts = this.state.drafts.filter((x) => x.key !== key)
    const sid = id ?? d?.id
    if (sid && !this.state.removed.some((r) => r.id === sid)) this.state.removed.push({ id: sid, event_id, project_id })
    this.write()
    void this.forget([key])
  }

  /** Forgets a note about a photo left out of a sheet. */
  dismissPhoto(key: string) {
    this.state.dropped = this.state.dropped.filter((d) => d.key !== key)
    this.write()
  }

  /**
   * Lets go of what can no longer be sent for an event: every draft once it
   * has closed, else the drafts of the sites whose sheets the server has.
   */
  settle(event_id: string, open: boolean, sent: readonly string[]) {
    const gone = (x: { event_id: string; project_id: string }) => x.event_id === event_id && (!open || sent.includes(x.project_id))
    const drop = this.state.drafts.filter(gone)
    if (!drop.length && !this.state.removed.some(gone)) return
    this.state.drafts = this.state.drafts.filter((x) => !gone(x))
    this.state.removed = this.state.removed.filter((x) => !gone(x))
    this.write()
    void this.forget(drop.map((d) => d.key))
  }

  /**
   * Puts a sheet in the queue with a new key, saved before it is sent, and
   * starts sending. The site's draft photos named in it go with it; the
   * draft's others (refused ones, say) are let go.
   */
  submit(s: NewSheet): QueuedSheet {
    const photos: PhotoRef[] = (s.photos ?? []).map((p) => (p.id ? { key: p.key, name: p.name, id: p.id } : { key: p.key, name: p.name }))
    const q: QueuedSheet = { ...s, photos, key: this.o.newKey(), queued_at: this.o.now().toISOString(), attempts: 0 }
    this.state.rejected = this.state.rejected.filter((r) => !sameSite(r, s.event_id, s.project_id))
    const left = this.state.drafts.filter((d) => sameSite(d, s.event_id, s.project_id) && !photos.some((p) => p.key === d.key))
    this.state.drafts = this.state.drafts.filter((d) => !sameSite(d, s.event_id, s.project_id))
    for (const d of left) {
      if (d.id && !this.state.removed.some((r) => r.id === d.id)) this.state.removed.push({ id: d.id, event_id: d.event_id, project_id: d.project_id })
    }
    this.state.pending.push(q)
    this.write()
    void this.forget(left.map((d) => d.key))
    void this.flush()
    return q
  }

  /** Forgets a refused sheet once the judge has read why. */
  dismiss(key: string) {
    this.state.rejected = this.state.rejected.filter((r) => r.key !== key)
    this.write()
  }

  /** The network is back (or the page opened): send now, from the first pause again. */
  online() {
    this.failures = 0
    void this.flush()
  }

  /** Sends what is pending — sheets in order, then draft photos; one run at a time. */
  flush(): Promise<void> {
    if (this.timer !== null) {
      this.o.clearTimer(this.timer)
      this.timer = null
    }
    if (this.running) {
      this.again = true // looked at once the current run ends
      return this.running
    }
    this.running = (async () => {
      try {
        do {
          this.again = false
          await this.run()
        } while (this.again && this.timer === null)
      } finally {
        this.running = null
      }
    })()
    return this.running
  }

  private async run() {
    for (;;) {
      const s = this.state.pending[0]
      if (s) {
        if (!(await this.sendSheet(s))) return
        continue
      }
      const d = this.state.drafts.find((p) => !p.id && !p.failed)
      if (!d) return
      if (!(await this.sendDraftPhoto(d))) return
    }
  }

  /** Waits with a growing pause before the next try. */
  private wait() {
    this.failures++
    this.timer = this.o.setTimer(() => {
      this.timer = null
      void this.flush()
    }, backoff(this.failures, this.o.baseDelay, this.o.maxDelay))
  }

  /** Sends a sheet, its photos first; false when it has to wait for the network. */
  private async sendSheet(s: QueuedSheet): Promise<boolean> {
    s.attempts++
    this.write()
    try {
      for (const ref of [...(s.photos ?? [])]) {
        if (ref.id) continue // uploaded already (as a draft, or on an earlier try)
        try {
          await this.upload(s.event_id, s.project_id, ref.key)
        } catch (err) {
          if (!isDefinitivePhoto(err)) throw err
          s.photos = (s.photos ?? []).filter((p) => p.key !== ref.key)
          this.state.dropped.push({ key: ref.key, event_id: s.event_id, project_id: s.project_id, name: ref.name, ...refusal(err) })
          this.write()
          await this.forget([ref.key])
        }
      }
      await this.o.send(s)
      this.state.pending = this.state.pending.filter((p) => p.key !== s.key)
      this.state.removed = this.state.removed.filter((r) => !sameSite(r, s.event_id, s.project_id))
      this.failures = 0
      this.write()
      await this.forget((s.photos ?? []).map((p) => p.key))
      return true
    } catch (err) {
      if (isDefinitive(err)) {
        const e = err as ApiError
        this.state.pending = this.state.pending.filter((p) => p.key !== s.key)
        this.state.rejected.push({ ...s, reason_zh: e.messageZH, reason_en: e.messageEN })
        // Its photos go back to the site's draft: a sheet submitted again takes them along.
        for (const p of s.photos ?? []) {
          if (!this.state.drafts.some((d) => d.key === p.key)) this.state.drafts.push({ ...p, event_id: s.event_id, project_id: s.project_id })
        }
        this.write()
        return true
      }
      this.wait()
      return false
    }
  }

  /** Uploads a draft's photo; false when it has to wait for the network. */
  private async sendDraftPhoto(d: DraftPhoto): Promise<boolean> {
    try {
      await this.upload(d.event_id, d.project_id, d.key)
      this.failures = 0
      return true
    } catch (err) {
      if (!isDefinitivePhoto(err)) {
        this.wait()
        return false
      }
      // Still a draft: the judge sees why at the photo. Already on a queued
      // sheet: sending the sheet meets the refusal again and leaves it out.
      const x = this.state.drafts.find((p) => p.key === d.key)
      if (x) x.failed = refusal(err)
      this.write()
      return true
    }
  }

  /** Uploads a stored photo and notes its server id wherever it is named now. */
  private async upload(event_id: string, project_id: string, key: string) {
    const p = await this.o.photos.get(key)
    if (!p) throw new PhotoGone(key)
    const { id } = await this.o.sendPhoto({ event_id, project_id, key, blob: p.blob, name: p.name })
    let named = false
    for (const d of this.state.drafts) {
      if (d.key === key) {
        d.id = id
        named = true
      }
    }
    for (const s of this.state.pending) {
      for (const r of s.photos ?? []) {
        if (r.key === key) {
          r.id = id
          named = true
        }
      }
    }
    // Taken off the draft while it was on its way: it stays off the sheet.
    if (!named && !this.state.removed.some((r) => r.id === id)) this.state.removed.push({ id, event_id, project_id })
    // The same bytes chosen twice are one photo on the server: the first is kept.
    const twice: string[] = []
    const once = <T extends PhotoRef>(list: T[]): T[] => {
      const seen = new Set<string>()
      return list.filter((r) => {
        if (!r.id || !seen.has(r.id)) {
          if (r.id) seen.add(r.id)
          return true
        }
        twice.push(r.key)
        return false
      })
    }
    this.state.drafts = once(this.state.drafts)
    for (const s of this.state.pending) if (s.photos) s.photos = once(s.photos)
    this.write()
    await this.forget(twice)
  }

  /** Removes photos from the store (a failure is left for the next sweep). */
  private async forget(keys: readonly string[]) {
    for (const k of keys) {
      try {
        await this.o.photos.delete(k)
      } catch {
        // swept later
      }
    }
  }

  /** Removes this account's stored photos that nothing in the queue names (left by a crash between the two writes). */
  async sweep() {
    const prefix = this.o.account + '/'
    const keys = await this.o.photos.keys()
    const named = new Set([...this.state.drafts.map((d) => d.key), ...this.state.pending.flatMap((s) => (s.photos ?? []).map((p) => p.key))])
    await this.forget(keys.filter((k) => k.startsWith(prefix) && !named.has(k) && !this.adding.has(k)))
  }

  /** Stops the pending retry (the page is closing). */
  stop() {
    if (this.timer !== null) this.o.clearTimer(this.timer)
    this.timer = null
  }
}
