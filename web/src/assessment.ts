// The half-year and year-end assessment (M1.7, M1.8, M5) as the console
// shows it: a version's units in their pools, a unit's components by key,
// its outcomes, and the period picked on the page.
import type { Schemas } from './api/client'
import { formatWan } from './money'

export type AsmVersion = Schemas['AssessmentVersion']
export type AsmResult = Schemas['Result']
export type AsmUnit = Schemas['UnitResult']
export type AsmComponent = Schemas['Component']
export type AsmOutcome = Schemas['Outcome']

/** The components in the order the results print them (the API's keys). */
export const COMPONENTS = ['investment', 'node_plan', 'observation', 'supervision', 'letters'] as const
export type ComponentKey = (typeof COMPONENTS)[number]

/** The pools in the order the results print them. */
export const POOLS = ['townships', 'zones', 'departments'] as const

/** The outcome kinds in the order the outcomes table lists them. */
export const OUTCOME_KINDS = ['reward', 'fine', 'merit', 'criticism', 'pledge', 'admonishment', 'fiscal_cut'] as const

/** The units of a result in their pools, ranked first (by rank), the unranked after (by name). */
export function unitsByPool(units: readonly AsmUnit[]): { pool: string; rows: AsmUnit[] }[] {
  const order = (a: AsmUnit, b: AsmUnit) => {
    if ((a.rank === 0) !== (b.rank === 0)) return a.rank === 0 ? 1 : -1
    return a.rank - b.rank || a.name.localeCompare(b.name, 'zh-CN')
  }
  const known: string[] = [...POOLS]
  const pools = [...known, ...[...new Set(units.map((u) => u.pool))].filter((p) => !known.includes(p))]
  return pools.map((pool) => ({ pool, rows: units.filter((u) => u.pool === pool).sort(order) })).filter((p) => p.rows.length > 0)
}

/** A unit's component by key (undefined when the result has none). */
export function component(u: Pick<AsmUnit, 'components'>, key: string): AsmComponent | undefined {
  return (u.components ?? []).find((c) => c.name === key)
}

/** A component's points as the table shows them: "—" when it had nothing to measure (weight 0). */
export function componentPoints(u: Pick<AsmUnit, 'components'>, key: string): string {
  const c = component(u, key)
  if (!c || c.weight === 0) return '—'
  return c.points
}

/** An outcome's amount in 万元 ("100" for 1,000,000 yuan), or "" without one. */
export function outcomeWan(o: Pick<AsmOutcome, 'amount_yuan'>): string {
  return o.amount_yuan ? formatWan(o.amount_yuan) : ''
}

/** The outcomes sorted by kind (rewards first), then as the result lists them. */
export function sortedOutcomes(list: readonly AsmOutcome[]): AsmOutcome[] {
  const k = (o: AsmOutcome) => {
    const i = (OUTCOME_KINDS as readonly string[]).indexOf(o.kind)
    return i < 0 ? OUTCOME_KINDS.length : i
  }
  return list.map((o, i) => ({ o, i })).sort((a, b) => k(a.o) - k(b.o) || a.i - b.i).map((x) => x.o)
}

/** The first characters of a SHA-256, for a table (the full hash in a tooltip). */
export function shortHash(h: string, n = 12): string {
  return h.length > n ? h.slice(0, n) + '…' : h
}

/** The API's `at` for a period: "2026" for a year, "2026-H1" for a half. */
export function periodAt(period: 'half' | 'year', year: string, half: number): string {
  return period === 'year' ? year : `${year}-H${half}`
}

/** Whether computing again corrects an approved version (and so needs a
 * reason): the newest is approved; a newer computed one is recomputed in place. */
export function isCorrection(list: readonly AsmVersion[]): boolean {
  return list[0]?.status === 'approved'
}
