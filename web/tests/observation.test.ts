import { describe, expect, it } from 'vitest'
import { sheetTotal, rubricMax, siteState, move, resultTables, missingSheets, type Rubric, type ObsResult, type ObsSheet } from '../src/observation'

const rubric: Rubric = {
  items: [{ key: 'image', name: '形象进度', max: 30, weight: 1 }, { key: 'quality', name: '质量安全', max: 20, weight: 2 }],
  method: 'trimmed_mean', vote_first: 100, vote_step: 3, zones_own: true, tie_breaks: ['completion_rate'],
}
const res = (kind: string, name: string, rank: number, pool = ''): ObsResult =>
  ({ kind, name, rank, pool, pool_name: { townships: '乡镇（街道）', zones: '产业集聚区（园区）', departments: '县直单位' }[pool] ?? '', score: '80.00', subject_id: name, judges: 2, tie_note: '' }) as ObsResult

describe('the observation console', () => {
  it('totals a sheet with the weights, as the server does', () => {
    expect(sheetTotal(rubric, { image: 28, quality: 15 })).toBe(58)
    expect(sheetTotal(rubric, { image: 28 })).toBe(28)
    expect(rubricMax(rubric)).toBe(70)
  })
  it('tells a judge which sites are sent, queued, refused or to do', () => {
    const mine = [{ project_id: 'p1' }] as ObsSheet[]
    const pending = [{ event_id: 'e', project_id: 'p2', key: 'k', points: {}, comment: '', queued_at: '', attempts: 1 }]
    const rejected = [{ ...pending[0], project_id: 'p3', reason_zh: '', reason_en: '' }]
    expect(['p1', 'p2', 'p3', 'p4'].map((p) => siteState('e', p, mine, pending, rejected))).toEqual(['sent', 'queued', 'rejected', 'todo'])
    expect(siteState('other', 'p2', [], pending, rejected)).toBe('todo')
  })
  it('reorders the tour', () => {
    expect(move(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b'])
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(move(['a', 'b'], 1, 2)).toEqual(['a', 'b'])
  })
  it('splits results into sites and pools in their order, leaving empty pools out', () => {
    const t = resultTables([res('unit', '县住建局', 1, 'departments'), res('site', '乙', 2), res('site', '甲', 1), res('unit', '紫水街道', 2, 'townships'), res('unit', '十里镇', 1, 'townships')])
    expect(t.sites.map((r) => r.name)).toEqual(['甲', '乙'])
    expect(t.pools.map((p) => p.name)).toEqual(['乡镇（街道）', '县直单位'])
    expect(t.pools[0].rows.map((r) => r.name)).toEqual(['十里镇', '紫水街道'])
  })
  it('counts missing sheets', () => {
    expect(missingSheets({ judges: [{ judge_id: 'a', judge: '甲', scored: [], missing: 2 }, { judge_id: 'b', judge: '乙', scored: [], missing: 1 }] })).toBe(3)
  })
})
