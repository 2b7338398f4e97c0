import { describe, expect, it } from 'vitest'
import { unitsByPool, component, componentPoints, outcomeWan, sortedOutcomes, shortHash, periodAt, isCorrection, type AsmUnit, type AsmOutcome, type AsmVersion } from '../src/assessment'

const unit = (name: string, pool: string, rank: number, comps: Partial<AsmUnit['components'][number]>[] = []): AsmUnit =>
  ({ unit_id: name, name, pool, rank, score: '0.00', exact: '0', tie_note: '', eligible: true, note: '', components: comps.map((c) => ({ name: '', score: '0', weight: 0, points: '0', lost: '', ...c })) }) as AsmUnit

describe('assessment results', () => {
  it('groups units by pool in print order, ranked first and unranked last', () => {
    const got = unitsByPool([
      unit('县住建局', 'departments', 1),
      unit('弦山街道', 'townships', 0),
      unit('紫水街道', 'townships', 2),
      unit('城关镇', 'townships', 1),
      unit('某园区', 'zones', 1),
    ])
    expect(got.map((p) => p.pool)).toEqual(['townships', 'zones', 'departments'])
    expect(got[0]!.rows.map((u) => u.name)).toEqual(['城关镇', '紫水街道', '弦山街道'])
  })
  it('leaves out empty pools and keeps an unknown pool at the end', () => {
    expect(unitsByPool([unit('a', 'other', 1), unit('b', 'departments', 1)]).map((p) => p.pool)).toEqual(['departments', 'other'])
    expect(unitsByPool([])).toEqual([])
  })
  it('looks components up by key; one with nothing to measure shows a dash', () => {
    const u = unit('紫水街道', 'townships', 1, [
      { name: 'investment', weight: 60, points: '54.00' },
      { name: 'letters', weight: 0, points: '0.00' },
    ])
    expect(component(u, 'investment')?.points).toBe('54.00')
    expect(component(u, 'node_plan')).toBeUndefined()
    expect(componentPoints(u, 'investment')).toBe('54.00')
    expect(componentPoints(u, 'letters')).toBe('—')
    expect(componentPoints(u, 'node_plan')).toBe('—')
  })
  it('shows amounts in 万元 exactly, nothing without an amount', () => {
    expect(outcomeWan({ amount_yuan: 1000000 })).toBe('100')
    expect(outcomeWan({ amount_yuan: 500000 })).toBe('50')
    expect(outcomeWan({ amount_yuan: 333333 })).toBe('33.3333')
    expect(outcomeWan({})).toBe('')
  })
  it('orders outcomes by kind, keeping the result’s order within a kind', () => {
    const o = (kind: string, u: string) => ({ kind, unit_id: u, unit: u, reason: '' }) as AsmOutcome
    const got = sortedOutcomes([o('criticism', 'c'), o('merit', 'a'), o('reward', 'a'), o('fine', 'x'), o('reward', 'b'), o('odd', 'z')])
    expect(got.map((x) => x.kind + x.unit)).toEqual(['rewarda', 'rewardb', 'finex', 'merita', 'criticismc', 'oddz'])
  })
  it('shortens hashes and names periods as the API does', () => {
    expect(shortHash('0123456789abcdef0123')).toBe('0123456789ab…')
    expect(shortHash('abc')).toBe('abc')
    expect(periodAt('year', '2026', 2)).toBe('2026')
    expect(periodAt('half', '2026', 1)).toBe('2026-H1')
  })
  it('asks for a reason only when the newest version is approved', () => {
    const v = (status: string) => ({ status }) as AsmVersion
    expect(isCorrection([])).toBe(false)
    expect(isCorrection([v('computed')])).toBe(false)
    expect(isCorrection([v('approved')])).toBe(true)
    expect(isCorrection([v('computed'), v('approved')])).toBe(false)
  })
})

describe('assessment messages', () => {
  it('has every key the assessment pages use, in both languages', async () => {
    const pages: Record<string, string> = {
      'Assessment.vue': (await import('../src/pages/Assessment.vue?raw')).default,
      'PersonRecord.vue': (await import('../src/pages/PersonRecord.vue?raw')).default,
    }
    const zh = (await import('../src/i18n/zh-CN')).default as Record<string, unknown>
    const en = (await import('../src/i18n/en')).default as Record<string, unknown>
    const get = (o: unknown, path: string) => path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o)
    let n = 0
    for (const [f, src] of Object.entries(pages)) {
      for (const m of src.matchAll(/t\('((?:assessment|project|sup|common)\.[\w.]+?)'(?:\s*[,)])/g)) {
        expect(typeof get(zh, m[1]!), `${f}: ${m[1]} (zh)`).toBe('string')
        expect(typeof get(en, m[1]!), `${f}: ${m[1]} (en)`).toBe('string')
        n++
      }
    }
    expect(n).toBeGreaterThan(50)
  })
})
