// The meeting area's console logic: the calendar's month grid, an agenda's
// order, a decision's days overdue and the evidence an agenda item carries.
import type { Schemas } from './api/client'
import { addDays } from './week'

export type Sitting = Schemas['Sitting']
export type Item = Schemas['Item']
export type Action = Schemas['Action']

export const KINDS = ['weekly', 'monthly', 'bimonthly', 'half_year', 'joint_review'] as const
export type Kind = (typeof KINDS)[number]

/** Each series' colour on the calendar and the projector (legend in both languages). */
export const KIND_COLORS: Record<string, string> = { weekly: '#2f6fb3', monthly: '#2e7d32', bimonthly: '#b45309', half_year: '#7c3aed', joint_review: '#0f766e' }

export interface Day {
  date: string // YYYY-MM-DD
  inMonth: boolean
}

/** The weeks (Monday first) that show month (YYYY-MM), whole weeks at both ends. */
export function monthGrid(month: string): Day[][] {
  const first = month + '-01'
  const [y, m] = month.split('-').map(Number)
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10)
  const back = (new Date(first + 'T00:00:00Z').getUTCDay() + 6) % 7
  const weeks: Day[][] = []
  let d = addDays(first, -back)
  while (d <= last) {
    const week: Day[] = []
    for (let i = 0; i < 7; i++) {
      week.push({ date: d, inMonth: d.slice(0, 7) === month })
      d = addDays(d, 1)
    }
    weeks.push(week)
  }
  return weeks
}

/** The month (YYYY-MM) n months from month. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number)
  const d = new Date(Date.UTC(y, m - 1 + n, 1))
  return d.toISOString().slice(0, 7)
}

/** Sittings by their day, each day's by time. */
export function byDay<T extends { day: string; starts_at: string }>(list: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const s of [...list].sort((a, b) => a.starts_at.localeCompare(b.starts_at))) {
    const l = out.get(s.day) ?? []
    l.push(s)
    out.set(s.day, l)
  }
  return out
}

/** Days between two dates (YYYY-MM-DD): to − from. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to + 'T00:00:00Z') - Date.parse(from + 'T00:00:00Z')) / 86400000)
}

/** How many days an overdue action is past its deadline today (0 when not overdue). */
export function daysOverdue(a: { overdue: boolean; deadline: string }, today: string): number {
  return a.overdue ? Math.max(0, daysBetween(a.deadline, today)) : 0
}

/** list with the element at from moved to index to (clamped); a new array. */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list]
  if (from < 0 || from >= out.length) return out
  const target = Math.max(0, Math.min(out.length - 1, to))
  const [x] = out.splice(from, 1)
  out.splice(target, 0, x)
  return out
}

/** A project's card as the agenda's preparation found it. */
export interface Card {
  project_id: string
  code: string
  name: string
  unit: string
  chief: string
  week: string
  progress: boolean | null
  streak: number
  report_state: string
  image_progress: string
  image_percent: number | null
  photos: number
  photo_ids: string[] | null
  open_problems: string[] | null
  escalations: string[] | null
}

function isCard(v: unknown): v is Card {
  return typeof v === 'object' && v !== null && typeof (v as Card).project_id === 'string' && typeof (v as Card).name === 'string'
}

/** The project cards an item's evidence holds: one (a stalled project, an
 * office item with a project), one under "card" (a problem, an overdue
 * approval) or a list (a county leader's projects). */
export function cardsOf(evidence: unknown): Card[] {
  if (Array.isArray(evidence)) return evidence.filter(isCard)
  if (isCard(evidence)) return [evidence]
  const card = (evidence as { card?: unknown } | null)?.card
  return isCard(card) ? [card] : []
}

/** The lines of evidence beside the cards: overdue approvals, problems
 * several projects share, an overdue decision's facts. */
export function evidenceLines(evidence: unknown): string[] {
  if (typeof evidence !== 'object' || evidence === null || Array.isArray(evidence)) return []
  const e = evidence as Record<string, unknown>
  const out: string[] = []
  for (const key of ['procedures', 'problems']) {
    const v = e[key]
    if (Array.isArray(v)) out.push(...v.filter((x): x is string => typeof x === 'string'))
  }
  return out
}

/** The chair may pick at most this many projects for a weekly meeting (M1.2). */
export const MAX_PICKED = 2

/** Whether another pick is allowed: a weekly meeting takes up one or two projects. */
export function canPick(kind: string, picked: number): boolean {
  return kind !== 'weekly' || picked < MAX_PICKED
}

/** Whether an item carries evidence worth opening. */
export function hasEvidence(evidence: unknown): boolean {
  return cardsOf(evidence).length > 0 || evidenceLines(evidence).length > 0
}
