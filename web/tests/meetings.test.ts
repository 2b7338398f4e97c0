import { describe, expect, it } from 'vitest'
import { monthGrid, addMonths, byDay, daysOverdue, daysBetween, moveItem, cardsOf, evidenceLines, canPick, hasEvidence } from '../src/meetings'

describe('the calendar month grid', () => {
  it('starts on the Monday before the 1st and ends on the Sunday after the last day', () => {
    const g = monthGrid('2026-12') // 1 December 2026 is a Tuesday
    expect(g[0][0]).toEqual({ date: '2026-11-30', inMonth: false })
    expect(g[0][1]).toEqual({ date: '2026-12-01', inMonth: true })
    expect(g.at(-1)!.at(-1)).toEqual({ date: '2027-01-03', inMonth: false })
    expect(g.length).toBe(5)
    expect(g.every((w) => w.length === 7)).toBe(true)
  })
  it('has no spare week when the month starts on a Monday and ends on a Sunday', () => {
    const g = monthGrid('2021-02') // 1 Feb 2021 Monday, 28 Feb Sunday
    expect(g.length).toBe(4)
    expect(g[0][0].date).toBe('2021-02-01')
    expect(g[3][6].date).toBe('2021-02-28')
  })
  it('counts leap days', () => {
    expect(monthGrid('2028-02').flat().filter((d) => d.inMonth).length).toBe(29)
  })
  it('moves across year ends', () => {
    expect(addMonths('2026-12', 1)).toBe('2027-01')
    expect(addMonths('2026-01', -1)).toBe('2025-12')
  })
})

describe('sittings by day', () => {
  it('groups by day and orders each day by time', () => {
    const m = byDay([
      { day: '2026-12-07', starts_at: '2026-12-07T07:00:00Z', id: 'b' },
      { day: '2026-12-07', starts_at: '2026-12-07T01:00:00Z', id: 'a' },
      { day: '2026-12-31', starts_at: '2026-12-31T07:00:00Z', id: 'c' },
    ])
    expect(m.get('2026-12-07')!.map((s) => s.id)).toEqual(['a', 'b'])
    expect(m.get('2026-12-31')!.map((s) => s.id)).toEqual(['c'])
    expect(m.has('2026-12-08')).toBe(false)
  })
})

describe('days overdue', () => {
  it('counts days past the deadline of an overdue action only', () => {
    expect(daysOverdue({ overdue: true, deadline: '2026-11-20' }, '2026-12-01')).toBe(11)
    expect(daysOverdue({ overdue: false, deadline: '2026-11-20' }, '2026-12-01')).toBe(0)
    expect(daysOverdue({ overdue: true, deadline: '2026-12-31' }, '2027-01-02')).toBe(2)
  })
  it('does not drift over a daylight-saving change of the browser', () => {
    expect(daysBetween('2026-03-01', '2026-04-01')).toBe(31)
  })
})

describe('the agenda order', () => {
  it('moves an item up, down and to the ends, clamped', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'c', 'b'])
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c'])
    expect(moveItem(['a', 'b', 'c'], 2, 5)).toEqual(['a', 'b', 'c'])
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b'])
  })
  it('leaves the list it was given alone', () => {
    const l = ['a', 'b']
    moveItem(l, 0, 1)
    expect(l).toEqual(['a', 'b'])
  })
  it('lets a weekly meeting pick two projects, other sittings more', () => {
    expect(canPick('weekly', 1)).toBe(true)
    expect(canPick('weekly', 2)).toBe(false)
    expect(canPick('bimonthly', 5)).toBe(true)
  })
})

describe('an item’s evidence', () => {
  const card = { project_id: 'p1', code: 'GS-1', name: '紫水街道老旧小区改造项目', unit: '紫水街道', chief: '刘志强', week: '2026-11-23', progress: false,
    streak: 2, report_state: 'missing', image_progress: '', image_percent: null, photos: 0, photo_ids: [], open_problems: ['征迁未完成'], escalations: [] }
  it('finds a project card however the preparation stored it', () => {
    expect(cardsOf(card).map((c) => c.name)).toEqual(['紫水街道老旧小区改造项目'])
    expect(cardsOf({ card, category: 'land' }).map((c) => c.code)).toEqual(['GS-1'])
    expect(cardsOf([card, { ...card, project_id: 'p2', name: '十里镇项目' }]).length).toBe(2)
    expect(cardsOf({})).toEqual([])
    expect(cardsOf({ overview: { projects: 3 } })).toEqual([])
    expect(cardsOf(null)).toEqual([])
  })
  it('lists overdue approvals and shared problems', () => {
    expect(evidenceLines({ card, procedures: ['用地预审（计划2026-10-01，县自然资源局）'] })).toEqual(['用地预审（计划2026-10-01，县自然资源局）'])
    expect(evidenceLines({ category: 'land', problems: ['甲：用地', '乙：用地'] })).toEqual(['甲：用地', '乙：用地'])
    expect(evidenceLines([card])).toEqual([])
    expect(hasEvidence({})).toBe(false)
    expect(hasEvidence({ card })).toBe(true)
  })
})
