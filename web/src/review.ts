// The console logic of joint review (联审联批), the minutes tab and the batch
// ground-breaking rounds: a decision's request body, the review table's
// shortcut keys, the minutes' paragraphs as a document lays them out, and a
// round's neighbours.
import type { Schemas } from './api/client'
import { addDays } from './week'

export type ReviewItem = Schemas['ReviewItem']
export type ReviewDecision = Schemas['ReviewDecision']

/** The four fast-track reforms a decision may apply (代办制, 多评合一, 区域评估, 容缺办理). */
export const REVIEW_FLAGS = ['agency_service', 'merged_assessment', 'regional_assessment', 'accept_with_deficiencies'] as const
export type ReviewFlag = (typeof REVIEW_FLAGS)[number]

/** What the office has set on a row of the table before deciding it. */
export interface RowEdit {
  service_unit_id: string
  deadline: string // '' = the county's default after the sitting
  note: string
  agency_service: boolean
  merged_assessment: boolean
  regional_assessment: boolean
  accept_with_deficiencies: boolean
}

/** A row's editable state as the item stands. */
export function editOf(it: ReviewItem): RowEdit {
  return {
    service_unit_id: it.service_unit_id, deadline: it.outcome === 'deadline' ? (it.deadline ?? '') : '', note: it.note,
    agency_service: it.agency_service, merged_assessment: it.merged_assessment, regional_assessment: it.regional_assessment,
    accept_with_deficiencies: it.accept_with_deficiencies,
  }
}

/** The PUT /review-items/{id} body: an empty deadline is left out (the
 * county's default applies); a done item carries no deadline; the service
 * unit is sent only when changed. */
export function decisionBody(it: ReviewItem, e: RowEdit, outcome: 'done' | 'deadline'): ReviewDecision {
  const body: ReviewDecision = { outcome, version: it.version }
  if (outcome === 'deadline' && e.deadline) body.deadline = e.deadline
  if (e.service_unit_id && e.service_unit_id !== it.service_unit_id) body.service_unit_id = e.service_unit_id
  for (const f of REVIEW_FLAGS) if (e[f]) body[f] = true
  const note = e.note.trim()
  if (note) body.note = note
  return body
}

/** What a key does on the focused row of the review table. */
export type RowKey = 'done' | 'deadline' | 'next' | 'prev'

/** The table's shortcut for a key press, or null: D done on the spot,
 * L a deadline, J / ↓ the next row, K / ↑ the previous one. Keys typed into
 * a field, or with Ctrl, Alt or ⌘, are the field's. */
export function rowKey(e: { key: string; ctrlKey?: boolean; altKey?: boolean; metaKey?: boolean }, inField: boolean): RowKey | null {
  if (inField || e.ctrlKey || e.altKey || e.metaKey) return null
  switch (e.key) {
    case 'd':
    case 'D':
      return 'done'
    case 'l':
    case 'L':
      return 'deadline'
    case 'j':
    case 'J':
    case 'ArrowDown':
      return 'next'
    case 'k':
    case 'K':
    case 'ArrowUp':
      return 'prev'
  }
  return null
}

/** Whether an item still needs the sitting's decision. */
export const undecided = (it: ReviewItem) => it.outcome === 'pending' && !it.carried

/** A paragraph of the minutes and how a county office lays it out. */
export interface MinutesLine {
  kind: 'title' | 'issue' | 'masthead' | 'heading' | 'decision' | 'list' | 'para'
  text: string
  /** The masthead's two ends: the office and the date. */
  parts?: [string, string]
}

const HEADINGS = new Set(['上次会议议定事项落实情况', '会议研究事项', '会议议定事项'])
const NUMBERED = /^[一二三四五六七八九十百]+、/
const LISTS = /^(出席|请假|未到会)：/

/** The minutes' lines (title, issue line, masthead, then paragraphs) as
 * the document lays them out: the red centred title, the issue number,
 * the office and the date over a red rule, headings, the numbered
 * decisions and the attendance lists. */
export function minutesLayout(lines: readonly string[]): MinutesLine[] {
  return lines.map((text, i): MinutesLine => {
    if (i === 0) return { kind: 'title', text }
    if (i === 1) return { kind: 'issue', text }
    if (i === 2) {
      const [office, date] = text.split('\t')
      return { kind: 'masthead', text, parts: [office ?? '', date ?? ''] }
    }
    if (HEADINGS.has(text)) return { kind: 'heading', text }
    if (NUMBERED.test(text)) return { kind: 'decision', text }
    if (LISTS.test(text)) return { kind: 'list', text }
    return { kind: 'para', text }
  })
}

/** A day in the round before (-1) or after (+1) the round from–to. */
export function roundNeighbour(round: { from: string; to: string }, dir: -1 | 1): string {
  return dir < 0 ? addDays(round.from, -1) : addDays(round.to, 1)
}
