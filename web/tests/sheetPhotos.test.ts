import { describe, expect, it } from 'vitest'
import { ApiError, NetworkError } from '../src/api/client'
import { SheetQueue, storageKey, type PhotoUpload, type QueuedSheet } from '../src/sheetQueue'
import { memoryPhotoStore, photoType } from '../src/photoStore'

function memory() {
  const m = new Map<string, string>()
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m }
}

/**
 * A scripted server for a judge's photos and sheets: the same bytes for the
 * same site are the same photo (as the API answers them), the network can be
 * down, and single answers can be lost or refused.
 */
function server() {
  const photos = new Map<string, string>() // event|project|bytes → id
  const log: string[] = []
  const sheets: QueuedSheet[] = []
  let n = 0
  const s = {
    down: false,
    /** Called once per request before it is answered: throw to refuse or lose it. */
    photoTrouble: undefined as undefined | ((bytes: string, stored: boolean) => void),
    sheetTrouble: undefined as undefined | ((sheet: QueuedSheet) => void),
    log,
    sheets,
    photos,
    async sendPhoto(p: PhotoUpload) {
      const bytes = await p.blob.text()
      log.push('photo ' + bytes)
      if (s.down) throw new NetworkError('offline')
      const k = [p.event_id, p.project_id, bytes].join('|')
      const existed = photos.has(k)
      if (!existed) s.photoTrouble?.(bytes, false)
      if (!photos.has(k)) photos.set(k, 'ph-' + ++n)
      s.photoTrouble?.(bytes, true) // a lost answer: stored, then the phone hears nothing
      return { id: photos.get(k)! }
    },
    async send(sheet: QueuedSheet) {
      log.push('sheet ' + sheet.project_id + ' [' + (sheet.photos ?? []).map((p) => p.id ?? '?').join(',') + ']')
      if (s.down) throw new NetworkError('offline')
      s.sheetTrouble?.(sheet)
      sheets.push(JSON.parse(JSON.stringify(sheet)))
    },
  }
  return s
}

function setup(srv = server(), storage = memory(), store = memoryPhotoStore()) {
  const timers: { fn: () => void; ms: number }[] = []
  let k = 0
  const q = new SheetQueue({
    account: 'acc-1',
    storage,
    photos: store,
    send: (s) => srv.send(s),
    sendPhoto: (p) => srv.sendPhoto(p),
    newKey: () => 'k' + ++k,
    setTimer: (fn, ms) => {
      const t = { fn, ms }
      timers.push(t)
      return t
    },
    clearTimer: (t) => {
      if (timers.includes(t as (typeof timers)[number])) timers.splice(timers.indexOf(t as (typeof timers)[number]), 1)
    },
    baseDelay: 1000,
    maxDelay: 8000,
  })
  const stored = () => JSON.parse(storage.getItem(storageKey('acc-1')) ?? '{}')
  return { q, srv, storage, store, timers, stored }
}

/** Lets the store's deletions, which nothing waits for, finish. */
const settled = () => new Promise((r) => setTimeout(r, 0))
const jpeg = (tag: string) => new Blob([tag], { type: 'image/jpeg' })
const sheet = { event_id: 'e1', project_id: 'p1', points: { image: 28 }, comment: '' }
const unreadable = () => new ApiError(400, { error: { code: 'photo_unreadable', message_zh: '照片无法读取，文件可能已损坏', message_en: 'the photo cannot be read', request_id: 'r' } })

describe('the judge’s photos', () => {
  it('keeps a photo on the phone and names it in the draft before it is uploaded', async () => {
    const { q, srv, store, stored } = setup()
    let seen: { stored: number; drafts: unknown[] } | null = null
    srv.photoTrouble = () => {
      seen ??= { stored: store.size, drafts: stored().drafts }
    }
    const d = await q.addPhoto('e1', 'p1', jpeg('A'), 'site.jpg')
    await q.flush()
    expect(d.key).toBe('acc-1/k1')
    expect(seen).toEqual({ stored: 1, drafts: [{ key: 'acc-1/k1', name: 'site.jpg', event_id: 'e1', project_id: 'p1' }] })
    expect(q.draftPhotos('e1', 'p1')).toMatchObject([{ key: 'acc-1/k1', id: 'ph-1' }])
    expect(stored().drafts[0].id).toBe('ph-1')
    expect(q.draftPhotos('e1', 'p2')).toEqual([])
  })

  it('sends a queued sheet’s photos first, in order, then the sheet with their ids, and lets the photos go', async () => {
    const { q, srv, store, timers, stored } = setup()
    srv.down = true
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.addPhoto('e1', 'p1', jpeg('B'))
    await q.addPhoto('e1', 'p1', jpeg('C'))
    await q.flush()
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    expect(q.pending).toHaveLength(1)
    expect(q.pending[0].photos?.map((p) => p.key)).toEqual(['acc-1/k1', 'acc-1/k2', 'acc-1/k3'])
    expect(q.drafts).toEqual([])
    expect(store.size).toBe(3) // nothing is let go before the server has the sheet
    srv.down = false
    srv.log.length = 0
    timers.shift()!.fn()
    await q.flush()
    expect(srv.log).toEqual(['photo A', 'photo B', 'photo C', 'sheet p1 [ph-1,ph-2,ph-3]'])
    expect(q.pending).toEqual([])
    expect(stored().pending).toEqual([])
    expect(store.size).toBe(0)
    expect(await store.keys()).toEqual([])
  })

  it('does not upload again a photo already uploaded as a draft or on an earlier try', async () => {
    const { q, srv, timers } = setup()
    await q.addPhoto('e1', 'p1', jpeg('A')) // online: uploaded at once
    await q.flush()
    expect(q.draftPhotos('e1', 'p1')[0].id).toBe('ph-1')
    await q.addPhoto('e1', 'p1', jpeg('B'))
    await q.addPhoto('e1', 'p1', jpeg('C'))
    // B goes up, then the network drops before C and the sheet.
    srv.photoTrouble = (bytes, stored) => {
      if (bytes === 'C' && !stored) {
        srv.down = true
        throw new NetworkError('offline')
      }
    }
    await q.flush()
    srv.photoTrouble = undefined
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    expect(q.pending[0].photos?.map((p) => p.id)).toEqual(['ph-1', 'ph-2', undefined])
    srv.down = false
    srv.log.length = 0
    while (timers.length) {
      timers.shift()!.fn()
      await q.flush()
    }
    expect(srv.log).toEqual(['photo C', 'sheet p1 [ph-1,ph-2,ph-3]'])
    expect(srv.sheets).toHaveLength(1)
  })

  it('counts a photo once when its answer was lost: the retry is a replay of the same photo', async () => {
    const { q, srv, timers } = setup()
    srv.down = true
    await q.addPhoto('e1', 'p1', jpeg('A'))
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    srv.down = false
    let lost = false
    srv.photoTrouble = (_bytes, stored) => {
      if (stored && !lost) {
        lost = true
        throw new NetworkError('the answer was lost')
      }
    }
    timers.shift()!.fn()
    await q.flush()
    expect(srv.photos.size).toBe(1) // the server has it
    expect(q.pending[0].photos?.[0].id).toBeUndefined() // the phone does not know
    expect(timers).toHaveLength(1)
    timers.shift()!.fn()
    await q.flush()
    expect(srv.photos.size).toBe(1)
    expect(srv.sheets.map((s) => s.photos?.map((p) => p.id))).toEqual([['ph-1']])
    expect(q.pending).toEqual([])
  })

  it('leaves out a photo the server refuses for good, with a note, and sends the sheet without it', async () => {
    const { q, srv, store, timers } = setup()
    srv.down = true
    await q.addPhoto('e1', 'p1', jpeg('A'), 'a.jpg')
    await q.addPhoto('e1', 'p1', jpeg('broken'), 'b.jpg')
    await q.addPhoto('e1', 'p1', jpeg('C'), 'c.jpg')
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    srv.down = false
    srv.photoTrouble = (bytes, stored) => {
      if (bytes === 'broken' && !stored) throw unreadable()
    }
    timers.shift()!.fn()
    await q.flush()
    expect(srv.log.slice(-4)).toEqual(['photo A', 'photo broken', 'photo C', 'sheet p1 [ph-1,ph-2]'])
    expect(q.pending).toEqual([])
    expect(q.rejected).toEqual([])
    expect(q.dropped).toEqual([{ key: 'acc-1/k2', event_id: 'e1', project_id: 'p1', name: 'b.jpg', code: 'photo_unreadable', reason_zh: '照片无法读取，文件可能已损坏', reason_en: 'the photo cannot be read' }])
    expect(store.size).toBe(0)
    expect(timers).toEqual([])
    q.dismissPhoto('acc-1/k2')
    expect(q.dropped).toEqual([])
  })

  it('leaves out a photo whose bytes the phone lost, with a note', async () => {
    const { q, srv, store, timers } = setup()
    srv.down = true
    await q.addPhoto('e1', 'p1', jpeg('A'))
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    await store.delete('acc-1/k1')
    srv.down = false
    timers.shift()!.fn()
    await q.flush()
    expect(srv.sheets.map((s) => s.photos)).toEqual([[]])
    expect(q.dropped).toMatchObject([{ key: 'acc-1/k1', code: 'photo_gone' }])
  })

  it('marks a draft photo the server refuses and leaves it off the sheet', async () => {
    const { q, srv, store } = setup()
    srv.photoTrouble = (bytes, stored) => {
      if (bytes === 'broken' && !stored) throw unreadable()
    }
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.addPhoto('e1', 'p1', jpeg('broken'))
    await q.flush()
    const drafts = q.draftPhotos('e1', 'p1')
    expect(drafts.map((d) => [d.id, d.failed?.code])).toEqual([['ph-1', undefined], [undefined, 'photo_unreadable']])
    expect(srv.log.filter((l) => l === 'photo broken')).toHaveLength(1) // not tried again
    q.submit({ ...sheet, photos: drafts.filter((d) => !d.failed) })
    await q.flush()
    expect(srv.sheets.map((s) => s.photos?.map((p) => p.id))).toEqual([['ph-1']])
    expect(q.drafts).toEqual([])
    expect(store.size).toBe(0)
  })

  it('keeps what it knows across a reload: no photo uploaded twice, the blobs let go once the sheet is in', async () => {
    const storage = memory()
    const store = memoryPhotoStore()
    const srv = server()
    const first = setup(srv, storage, store)
    await first.q.addPhoto('e1', 'p1', jpeg('A'))
    await first.q.flush()
    srv.down = true
    await first.q.addPhoto('e1', 'p1', jpeg('B'))
    first.q.submit({ ...sheet, photos: first.q.draftPhotos('e1', 'p1') })
    await first.q.flush()
    first.q.stop()
    expect(store.size).toBe(2)
    srv.down = false
    srv.log.length = 0
    const second = setup(srv, storage, store)
    expect(second.q.pending[0].photos).toEqual([{ key: 'acc-1/k1', name: '', id: 'ph-1' }, { key: 'acc-1/k2', name: '' }])
    second.q.online()
    await second.q.flush()
    expect(srv.log).toEqual(['photo B', 'sheet p1 [ph-1,ph-2]'])
    expect(store.size).toBe(0)
  })

  it('takes a photo off the draft: one uploaded stays off the sheet, one not uploaded is never sent', async () => {
    const { q, srv, store } = setup()
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.flush()
    srv.down = true
    await q.addPhoto('e1', 'p1', jpeg('B'))
    await q.flush()
    const [a, b] = q.draftPhotos('e1', 'p1')
    q.removePhoto('e1', 'p1', a.key)
    q.removePhoto('e1', 'p1', b.key)
    q.removePhoto('e1', 'p1', 'server:ph-9', 'ph-9') // restored from the server, never on this phone
    await settled()
    expect(q.drafts).toEqual([])
    expect(q.removed.map((r) => r.id)).toEqual(['ph-1', 'ph-9'])
    expect(store.size).toBe(0)
    srv.down = false
    srv.log.length = 0
    await q.addPhoto('e1', 'p1', jpeg('C'))
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    expect(srv.log).toEqual(['photo C', 'sheet p1 [ph-2]'])
    expect(q.removed).toEqual([]) // the site is done
  })

  it('notes as removed a photo taken off the draft while it was being uploaded', async () => {
    const { q, srv } = setup()
    srv.photoTrouble = (_bytes, stored) => {
      if (stored) q.removePhoto('e1', 'p1', 'acc-1/k1')
    }
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.flush()
    expect(q.drafts).toEqual([])
    expect(q.removed).toEqual([{ id: 'ph-1', event_id: 'e1', project_id: 'p1' }])
  })

  it('keeps one of the same bytes chosen twice', async () => {
    const { q, store } = setup()
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.flush()
    expect(q.draftPhotos('e1', 'p1').map((d) => [d.key, d.id])).toEqual([['acc-1/k1', 'ph-1']])
    expect(await store.keys()).toEqual(['acc-1/k1'])
  })

  it('gives a refused sheet’s photos back to the site’s draft', async () => {
    const { q, srv, store } = setup()
    srv.sheetTrouble = () => {
      throw new ApiError(409, { error: { code: 'observation_closed', message_zh: '本次观摩评分已结束', message_en: 'closed', request_id: 'r' } })
    }
    await q.addPhoto('e1', 'p1', jpeg('A'))
    q.submit({ ...sheet, photos: q.draftPhotos('e1', 'p1') })
    await q.flush()
    expect(q.rejected).toHaveLength(1)
    expect(q.draftPhotos('e1', 'p1')).toMatchObject([{ key: 'acc-1/k1', id: 'ph-1' }])
    expect(store.size).toBe(1)
    // The event has closed: nothing of it can be sent any more.
    q.settle('e1', false, [])
    await settled()
    expect(q.drafts).toEqual([])
    expect(store.size).toBe(0)
  })

  it('lets go of the drafts of sites whose sheets the server has', async () => {
    const { q } = setup()
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await q.addPhoto('e1', 'p2', jpeg('B'))
    await q.addPhoto('e2', 'p1', jpeg('C'))
    q.settle('e1', true, ['p1'])
    expect(q.drafts.map((d) => [d.event_id, d.project_id])).toEqual([['e1', 'p2'], ['e2', 'p1']])
  })

  it('sweeps this account’s photos that nothing names', async () => {
    const { q, store } = setup()
    await q.addPhoto('e1', 'p1', jpeg('A'))
    await store.put({ key: 'acc-1/orphan', blob: jpeg('X'), name: '', added_at: '' })
    await store.put({ key: 'acc-2/theirs', blob: jpeg('Y'), name: '', added_at: '' })
    await q.sweep()
    expect((await store.keys()).sort()).toEqual(['acc-1/k1', 'acc-2/theirs'])
  })

  it('reads sheets queued before photos were taken', async () => {
    const storage = memory()
    storage.setItem(storageKey('acc-1'), JSON.stringify({ pending: [{ ...sheet, key: 'old', queued_at: '', attempts: 1 }], rejected: [] }))
    const { q, srv } = setup(server(), storage)
    expect(q.drafts).toEqual([])
    await q.flush()
    expect(srv.log).toEqual(['sheet p1 []'])
  })

  it('tells JPEG and PNG by their first bytes', () => {
    expect(photoType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), '')).toBe('image/jpeg')
    expect(photoType(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/jpeg')).toBe('image/png')
    expect(photoType(new Uint8Array([1, 2, 3, 4]), 'image/heic')).toBe('image/heic')
    expect(photoType(new Uint8Array([]), '')).toBe('application/octet-stream')
  })
})
