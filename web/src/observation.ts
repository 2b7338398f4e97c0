// The monthly observation (观摩评比, M1.6) as the console shows it: a sheet's
// running total, each site's state for the judge, who has scored what, the
// results in their pools, and the one queue of unsent sheets per account.
import { ref } from 'vue'
import { api, buildPath, upload, type Schemas } from './api/client'
import { SheetQueue, type QueuedSheet, type RejectedSheet } from './sheetQueue'
import { indexedDBPhotoStore, memoryPhotoStore, photoType } from './photoStore'

export type ObsEvent = Schemas['ObservationEvent']
export type ObsDetail = Schemas['ObservationDetail']
export type ObsSite = Schemas['Site']
export type ObsSheet = Schemas['Sheet']
export type ObsResult = Schemas['ObservationResult']
export type Rubric = Schemas['Rubric']
export type SheetPhoto = Schemas['SheetPhoto']

/** The most photos a judge attaches to one site's sheet (the server's cap). */
export const MAX_SHEET_PHOTOS = 6

/** A sheet's total as the server computes it: Σ points × weight. */
export function sheetTotal(r: Rubric, points: Record<string, number | undefined>): number {
  return r.items.reduce((t, it) => t + (points[it.key] ?? 0) * it.weight, 0)
}

/** The most a sheet can reach. */
export function rubricMax(r: Rubric): number {
  return r.items.reduce((t, it) => t + it.max * it.weight, 0)
}

export type SiteState = 'sent' | 'queued' | 'rejected' | 'todo'

/** A site's state for the judge: on the server, waiting in the queue, refused, or still to score. */
export function siteState(event: string, site: string, mine: readonly ObsSheet[], pending: readonly QueuedSheet[], rejected: readonly RejectedSheet[]): SiteState {
  if (mine.some((s) => s.project_id === site)) return 'sent'
  if (pending.some((s) => s.event_id === event && s.project_id === site)) return 'queued'
  if (rejected.some((s) => s.event_id === event && s.project_id === site)) return 'rejected'
  return 'todo'
}

/** Moves an item of a list (the tour order) from one place to another. */
export function move<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list]
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out
  const [x] = out.splice(from, 1)
  out.splice(to, 0, x)
  return out
}

const POOL_ORDER = ['townships', 'zones', 'departments']

/** The results once closed: the sites by rank, and the units in each pool by rank. */
export function resultTables(results: readonly ObsResult[]): { sites: ObsResult[]; pools: { pool: string; name: string; rows: ObsResult[] }[] } {
  const byRank = (a: ObsResult, b: ObsResult) => a.rank - b.rank || a.name.localeCompare(b.name, 'zh-CN')
  const sites = results.filter((r) => r.kind === 'site').sort(byRank)
  const pools = POOL_ORDER.map((pool) => {
    const rows = results.filter((r) => r.kind === 'unit' && r.pool === pool).sort(byRank)
    return { pool, name: rows[0]?.pool_name ?? '', rows }
  }).filter((p) => p.rows.length > 0)
  return { sites, pools }
}

/** Sheets not yet in while scoring runs: a judge per missing site. */
export function missingSheets(d: Pick<ObsDetail, 'judges'>): number {
  return d.judges.reduce((n, j) => n + j.missing, 0)
}

// One queue per account for the whole console; `queueTick` changes whenever
// it does, so pages that read it re-render.
export const queueTick = ref(0)
let shared: { account: string; q: SheetQueue } | null = null

/** The logged-in account's queue of unsent sheets, sending as soon as it can. */
export function sheetQueue(account: string): SheetQueue {
  if (shared?.account === account) return shared.q
  shared?.q.stop()
  const q = new SheetQueue({
    account,
    storage: localStorage,
    photos: typeof indexedDB === 'undefined' ? memoryPhotoStore() : indexedDBPhotoStore(),
    send: async (s) => {
      const photo_ids = (s.photos ?? []).flatMap((p) => (p.id ? [p.id] : []))
      await api.post('/api/v1/observations/{id}/sheets', { project_id: s.project_id, points: s.points, comment: s.comment, photo_ids, idempotency_key: s.key }, { params: { id: s.event_id } })
    },
    sendPhoto: async (p) => {
      const type = photoType(new Uint8Array(await p.blob.slice(0, 4).arrayBuffer()), p.blob.type)
      const url = buildPath('/api/v1/observations/{id}/photos', { id: p.event_id }, { project: p.project_id })
      return upload<SheetPhoto>(url, p.blob, type, undefined, p.name ? { 'X-File-Name': encodeURIComponent(p.name) } : undefined)
    },
    onChange: () => queueTick.value++,
  })
  if (!shared) window.addEventListener('online', () => shared?.q.online())
  shared = { account, q }
  q.online()
  void q.sweep().catch(() => {})
  return q
}
