// The settings form: which fields, in which sections, of which kind, and
// the conversion between the API's values and what the form edits.
import type { Schemas } from './api/client'

export type Settings = Schemas['Settings']
export type FieldKind = 'int' | 'money' | 'weekday' | 'time' | 'cadence' | 'amounts' | 'basis' | 'meeting' | 'rubric' | 'assessment'
export interface Field {
  name: keyof Settings
  kind: FieldKind
  min?: number
  max?: number
}

export const SECTIONS: { key: string; fields: Field[] }[] = [
  { key: 'stall', fields: [{ name: 'stall_unit_head_weeks', kind: 'int', min: 1, max: 12 }, { name: 'stall_county_leader_weeks', kind: 'int', min: 1, max: 12 }] },
  {
    key: 'presence',
    fields: [
      { name: 'visits_chief_per_week', kind: 'int', min: 0, max: 7 },
      { name: 'visits_assistant_per_week', kind: 'int', min: 0, max: 7 },
      { name: 'visits_responsible_per_week', kind: 'int', min: 0, max: 7 },
      { name: 'helper_days_per_week', kind: 'int', min: 0, max: 7 },
      { name: 'visit_radius_meters', kind: 'int', min: 50, max: 10000 },
    ],
  },
  {
    key: 'report',
    fields: [
      { name: 'report_deadline_weekday', kind: 'weekday' },
      { name: 'report_deadline_time', kind: 'time' },
      { name: 'week_close_weekday', kind: 'weekday' },
      { name: 'week_close_time', kind: 'time' },
      { name: 'min_photos_per_report', kind: 'int', min: 0, max: 20 },
      { name: 'max_photos_per_week', kind: 'int', min: 1, max: 200 },
    ],
  },
  { key: 'progress', fields: [{ name: 'progress_min_investment_yuan', kind: 'money' }, { name: 'progress_min_image_points', kind: 'int', min: 0, max: 100 }] },
  {
    key: 'cadence',
    fields: (['cadence_weekly_meeting', 'cadence_inspection', 'cadence_monthly_meeting', 'cadence_observation', 'cadence_batch_start',
      'cadence_bimonthly_report', 'cadence_semiannual_review', 'cadence_joint_review'] as const).map((name) => ({ name, kind: 'cadence' as const })),
  },
  {
    key: 'meetings',
    fields: (['meeting_weekly', 'meeting_monthly', 'meeting_bimonthly', 'meeting_half_year', 'meeting_joint_review'] as const).map((name) => ({ name, kind: 'meeting' as const })),
  },
  { key: 'review', fields: [{ name: 'joint_review_deadline_days', kind: 'int', min: 1, max: 90 }] },
  { key: 'bulletin', fields: [{ name: 'schedule_basis', kind: 'basis' }] },
  {
    key: 'ranking',
    fields: [
      { name: 'ranking_top_n', kind: 'int', min: 0, max: 10 },
      { name: 'ranking_bottom_n', kind: 'int', min: 0, max: 10 },
      { name: 'township_rewards_yuan', kind: 'amounts' },
      { name: 'township_fines_yuan', kind: 'amounts' },
      { name: 'fiscal_cut_percent', kind: 'int', min: 0, max: 100 },
      { name: 'service_units_rewarded', kind: 'int', min: 0, max: 10 },
    ],
  },
  { key: 'observation', fields: [{ name: 'observation_rubric', kind: 'rubric' }] },
  { key: 'assessment', fields: [{ name: 'assessment', kind: 'assessment' }] },
  {
    key: 'weights',
    fields: (['weight_investment', 'weight_node_plan', 'weight_observation', 'weight_supervision'] as const).map((name) => ({ name, kind: 'int' as const, min: 0, max: 100 })),
  },
]

/** The groups a meeting series may invite (settings.ParticipantGroups). */
export const PARTICIPANT_GROUPS = ['office', 'leading_group', 'chiefs', 'unit_heads', 'item_units', 'service_units'] as const

/** What the form edits: amount lists as text, everything else as in the API. */
export type FormModel = Omit<Settings, 'township_rewards_yuan' | 'township_fines_yuan'> & {
  township_rewards_yuan: string
  township_fines_yuan: string
}

// A deep copy by JSON: the input may be a Vue reactive proxy, which
// structuredClone refuses.
function copy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

export function toForm(s: Settings): FormModel {
  return {
    ...copy(s),
    township_rewards_yuan: s.township_rewards_yuan.join(', '),
    township_fines_yuan: s.township_fines_yuan.join(', '),
  }
}

/** Parses "1,000,000, 500000" style text: amounts separated by commas or
 * Chinese commas; thousands separators are not allowed (ambiguous). */
export function parseAmounts(text: string): number[] | null {
  const parts = text.split(/[,，、\s]+/).filter((p) => p !== '')
  const out: number[] = []
  for (const p of parts) {
    if (!/^\d{1,12}$/.test(p)) return null
    out.push(Number(p))
  }
  return out
}

/** The API body, or the names of fields the form cannot convert. */
export function fromForm(f: FormModel): { values: Settings; bad: (keyof Settings)[] } {
  const bad: (keyof Settings)[] = []
  const rewards = parseAmounts(f.township_rewards_yuan)
  const fines = parseAmounts(f.township_fines_yuan)
  if (!rewards) bad.push('township_rewards_yuan')
  if (!fines) bad.push('township_fines_yuan')
  const values: Settings = { ...copy(f), township_rewards_yuan: rewards ?? [], township_fines_yuan: fines ?? [] }
  return { values, bad }
}

/** Today's date in Asia/Shanghai, as YYYY-MM-DD. */
export function todayInShanghai(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** The ways judges' sheets combine, and the tie-breaks (settings.Rubric). */
export const RUBRIC_METHODS = ['trimmed_mean', 'mean', 'rank_vote'] as const
export const TIE_BREAKS = ['completion_rate', 'best_site'] as const

/** The assessment's numeric settings with their ranges (settings.Assessment). */
export const ASSESSMENT_NUMBERS = [
  ['per_stall_week', 0, 50], ['per_escalation', 0, 50], ['per_late_report', 0, 50], ['per_finding', 0, 50], ['weight_letters', 0, 100],
  ['task_percent', 1, 200], ['service_rating_percent', 0, 100], ['refer_months_behind', 1, 12], ['refer_escalations', 1, 52],
] as const
