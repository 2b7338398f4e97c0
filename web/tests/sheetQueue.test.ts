import { describe, expect, it, vi } from 'vitest'
import { ApiError, NetworkError } from '../src/api/client'
import { SheetQueue, storageKey, isDefinitive, backoff, type QueuedSheet } from '../src/sheetQueue'

function memory() {
  const m = new Map<string, string>()
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m }
}

/** A queue with a scripted server and hand-run timers. */
function setup(answers: (s: QueuedSheet, n: number) => Promise<void>, storage = memory()) {
  const sent: QueuedSheet[] = []
  const timers: { fn: () => void; ms: number }[] = []
  let n = 0
  const keys = ['k-1', 'k-2', 'k-3']
  const q = new SheetQueue({
    account: 'acc-1',
    storage,
    send: (s) => {
      sent.push({ ...s })
      return answers(s, n++)
    },
    newKey: () => keys.shift() ?? 'k-x',
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
    baseDelay: 1000,
    maxDelay: 8000,
  })
  return { q, sent, timers, storage }
}

const sheet = { event_id: 'e1', project_id: 'p1', points: { image: 28, quality: 18 }, comment: '征迁推进快' }
const refused = (status: number, code: string) => new ApiError(status, { error: { code, message_zh: '您已为该观摩点评分', message_en: 'scored already', request_id: 'r' } })

describe('the sheet queue', () => {
  it('keeps a sheet in storage before it is sent and removes it on 201', async () => {
    const storage = memory()
    let stored = ''
    const { q } = setup(async () => {
      stored = storage.getItem(storageKey('acc-1')) ?? ''
    }, storage)
    q.submit(sheet)
    await q.flush()
    expect(JSON.parse(stored).pending).toHaveLength(1)
    expect(JSON.parse(stored).pending[0].key).toBe('k-1')
    expect(q.pending).toHaveLength(0)
    expect(JSON.parse(storage.getItem(storageKey('acc-1'))!).pending).toHaveLength(0)
  })

  it('retries with growing pauses and the same key until the server answers', async () => {
    const { q, sent, timers } = setup(async (_s, n) => {
      if (n < 3) throw new NetworkError('offline')
    })
    q.submit(sheet)
    await q.flush()
    expect(q.pending).toHaveLength(1)
    for (let i = 0; i < 2; i++) {
      timers.shift()!.fn()
      await q.flush()
    }
    expect(q.pending).toHaveLength(1)
    timers.shift()!.fn()
    await q.flush()
    expect(q.pending).toHaveLength(0)
    expect(sent.map((s) => s.key)).toEqual(['k-1', 'k-1', 'k-1', 'k-1'])
    expect(sent[3].attempts).toBe(4)
    expect(timers).toHaveLength(0)
  })

  it('treats server errors, timeouts and an ended session as passing', async () => {
    const errs = [new ApiError(502, undefined), new ApiError(401, undefined), new ApiError(429, undefined)]
    const { q, timers } = setup(async (_s, n) => {
      if (n < errs.length) throw errs[n]
    })
    q.submit(sheet)
    await q.flush()
    const pauses: number[] = []
    while (timers.length) {
      const t = timers.shift()!
      pauses.push(t.ms)
      t.fn()
      await q.flush()
    }
    expect(pauses).toEqual([1000, 2000, 4000])
    expect(q.pending).toHaveLength(0)
    expect(q.rejected).toHaveLength(0)
  })

  it('drops a sheet the server refuses for good and keeps the reason', async () => {
    const { q, sent, timers } = setup(async (s) => {
      if (s.project_id === 'p1') throw refused(409, 'already_scored')
    })
    q.submit(sheet)
    q.submit({ ...sheet, project_id: 'p2' })
    await q.flush()
    expect(sent.map((s) => s.project_id)).toEqual(['p1', 'p2'])
    expect(q.pending).toHaveLength(0)
    expect(q.rejected).toHaveLength(1)
    expect(q.rejected[0]).toMatchObject({ project_id: 'p1', key: 'k-1', reason_zh: '您已为该观摩点评分' })
    expect(timers).toHaveLength(0)
    q.dismiss('k-1')
    expect(q.rejected).toHaveLength(0)
  })

  it('comes back from storage after a reload and sends with the stored key', async () => {
    const storage = memory()
    const first = setup(async () => {
      throw new NetworkError('offline')
    }, storage)
    first.q.submit(sheet)
    await first.q.flush()
    first.q.stop()
    const second = setup(async () => {}, storage)
    expect(second.q.pending.map((s) => s.key)).toEqual(['k-1'])
    second.q.online()
    await second.q.flush()
    expect(second.sent.map((s) => s.key)).toEqual(['k-1'])
    expect(second.q.pending).toHaveLength(0)
  })

  it('keeps each account to its own queue and survives a broken entry', () => {
    const storage = memory()
    storage.setItem(storageKey('acc-1'), '{not json')
    const { q } = setup(async () => {}, storage)
    expect(q.pending).toEqual([])
    expect(storageKey('acc-1')).not.toBe(storageKey('acc-2'))
  })

  it('starts over from the first pause when the network comes back', async () => {
    let down = true
    const { q, timers, sent } = setup(async () => {
      if (down) throw new NetworkError('offline')
    })
    q.submit(sheet)
    await q.flush()
    timers.shift()!.fn()
    await q.flush()
    expect(timers[0].ms).toBe(2000)
    down = false
    q.online()
    await q.flush()
    expect(q.pending).toHaveLength(0)
    expect(new Set(sent.map((s) => s.key))).toEqual(new Set(['k-1']))
  })

  it('knows which answers are final', () => {
    expect(isDefinitive(refused(400, 'validation_failed'))).toBe(true)
    expect(isDefinitive(refused(404, 'site_not_found'))).toBe(true)
    expect(isDefinitive(new ApiError(401, undefined))).toBe(false)
    expect(isDefinitive(new ApiError(500, undefined))).toBe(false)
    expect(isDefinitive(new NetworkError('x'))).toBe(false)
    expect(backoff(1, 1000, 8000)).toBe(1000)
    expect(backoff(10, 1000, 8000)).toBe(8000)
    vi.restoreAllMocks()
  })
})
