// A judge's observation sheets waiting to reach the server (M1.6). A sheet
// gets its idempotency key when the judge presses Submit and is written to
// localStorage before anything is sent; it is sent again with the same key,
// with growing pauses, until the server takes it (201, possibly a replay of
// an earlier send that did arrive) or refuses it for good (a 4xx other than
// 401, 408 and 429), when it leaves the queue with the reason.
import { ApiError } from './api/client'

export interface QueuedSheet {
  key: string
  event_id: string
  project_id: string
  points: Record<string, number>
  comment: string
  queued_at: string
  attempts: number
}

/** A sheet the server refused for good, with its reason (zh and en). */
export interface RejectedSheet extends QueuedSheet {
  reason_zh: string
  reason_en: string
}

export type NewSheet = Pick<QueuedSheet, 'event_id' | 'project_id' | 'points' | 'comment'>

/** Sends one sheet; resolves when the server answered 201, throws otherwise. */
export type Sender = (s: QueuedSheet) => Promise<void>

export interface QueueOptions {
  account: string
  storage: Pick<Storage, 'getItem' | 'setItem'>
  send: Sender
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
}

/** The localStorage key of an account's queue. */
export const storageKey = (account: string) => 'tuijin.observation.sheets.' + account

/** Whether an error is the server's final word on a sheet (retrying cannot help). */
export function isDefinitive(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status)
}

/** The pause before the n-th retry (n ≥ 1). */
export function backoff(n: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, n - 1))
}

export class SheetQueue {
  private readonly o: Required<Omit<QueueOptions, 'onChange'>> & Pick<QueueOptions, 'onChange'>
  private state: Stored
  private timer: unknown = null
  private running: Promise<void> | null = null
  private failures = 0

  constructor(opts: QueueOptions) {
    this.o = {
      newKey: () => crypto.randomUUID(),
      now: () => new Date(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      baseDelay: 2000,
      maxDelay: 60000,
      ...opts,
    }
    this.state = this.read()
  }

  private read(): Stored {
    try {
      const s = JSON.parse(this.o.storage.getItem(storageKey(this.o.account)) ?? '') as Stored
      return { pending: Array.isArray(s.pending) ? s.pending : [], rejected: Array.isArray(s.rejected) ? s.rejected : [] }
    } catch {
      return { pending: [], rejected: [] }
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

  /** Puts a sheet in the queue with a new key, saved before it is sent, and starts sending. */
  submit(s: NewSheet): QueuedSheet {
    const q: QueuedSheet = { ...s, key: this.o.newKey(), queued_at: this.o.now().toISOString(), attempts: 0 }
    this.state.rejected = this.state.rejected.filter((r) => !(r.event_id === s.event_id && r.project_id === s.project_id))
    this.state.pending.push(q)
    this.write()
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

  /** Sends what is pending, in order; one run at a time. */
  flush(): Promise<void> {
    if (this.timer !== null) {
      this.o.clearTimer(this.timer)
      this.timer = null
    }
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  private async run() {
    while (this.state.pending.length) {
      const s = this.state.pending[0]
      s.attempts++
      this.write()
      try {
        await this.o.send(s)
        this.state.pending = this.state.pending.filter((p) => p.key !== s.key)
        this.failures = 0
        this.write()
      } catch (err) {
        if (isDefinitive(err)) {
          const e = err as ApiError
          this.state.pending = this.state.pending.filter((p) => p.key !== s.key)
          this.state.rejected.push({ ...s, reason_zh: e.messageZH, reason_en: e.messageEN })
          this.write()
          continue
        }
        this.failures++
        this.timer = this.o.setTimer(() => {
          this.timer = null
          void this.flush()
        }, backoff(this.failures, this.o.baseDelay, this.o.maxDelay))
        return
      }
    }
  }

  /** Stops the pending retry (the page is closing). */
  stop() {
    if (this.timer !== null) this.o.clearTimer(this.timer)
    this.timer = null
  }
}
