import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import { parseAmounts, toForm, fromForm, todayInShanghai, SECTIONS, type Settings } from '../src/settingsForm'

const defaults: Settings = {
  stall_unit_head_weeks: 2, stall_county_leader_weeks: 3, visits_chief_per_week: 1, visits_assistant_per_week: 2,
  visits_responsible_per_week: 1, helper_days_per_week: 5, visit_radius_meters: 500, report_deadline_weekday: 5,
  report_deadline_time: '12:00', week_close_weekday: 5, week_close_time: '18:00', min_photos_per_report: 3, max_photos_per_week: 30,
  progress_min_investment_yuan: 100000, progress_min_image_points: 5,
  cadence_weekly_meeting: { every: 1, unit: 'week' }, cadence_inspection: { every: 1, unit: 'week' },
  cadence_monthly_meeting: { every: 1, unit: 'month' }, cadence_observation: { every: 1, unit: 'month' },
  cadence_batch_start: { every: 2, unit: 'month' }, cadence_bimonthly_report: { every: 2, unit: 'month' },
  cadence_semiannual_review: { every: 6, unit: 'month' }, cadence_joint_review: { every: 2, unit: 'week' },
  joint_review_deadline_days: 14, ranking_top_n: 2, ranking_bottom_n: 2,
  township_rewards_yuan: [1000000, 500000], township_fines_yuan: [1000000, 500000], fiscal_cut_percent: 20,
  weight_investment: 60, weight_node_plan: 20, weight_observation: 10, weight_supervision: 10, service_units_rewarded: 2, schedule_basis: 'month',
  meeting_weekly: { weekday: 1, week: 0, anchor_month: 0, time: '09:00', place: '县政府第一会议室', chair_post: '县长', participants: ['office', 'item_units'], prep_days: 2 },
  meeting_monthly: { weekday: 4, week: -1, anchor_month: 1, time: '15:00', place: '县政府第一会议室', chair_post: '县长', participants: ['office', 'leading_group', 'item_units'], prep_days: 3 },
  meeting_bimonthly: { weekday: 3, week: 1, anchor_month: 3, time: '15:00', place: '县委常委会议室', chair_post: '县委书记', participants: ['office', 'leading_group', 'chiefs', 'unit_heads'], prep_days: 5 },
  meeting_half_year: { weekday: 5, week: -1, anchor_month: 6, time: '09:00', place: '县委常委会议室', chair_post: '县委书记', participants: ['office', 'leading_group', 'chiefs', 'unit_heads'], prep_days: 7 },
  meeting_joint_review: { weekday: 3, week: 0, anchor_month: 0, time: '15:00', place: '县政务服务中心三楼会议室', chair_post: '常务副县长', participants: ['office', 'service_units'], prep_days: 2 },
  observation_rubric: { items: [{ key: 'image', name: '形象进度', max: 30, weight: 1 }, { key: 'investment', name: '投资完成', max: 30, weight: 1 },
    { key: 'quality', name: '质量安全', max: 20, weight: 1 }, { key: 'highlight', name: '亮点特色', max: 20, weight: 1 }],
    method: 'trimmed_mean', vote_first: 100, vote_step: 3, zones_own: false, tie_breaks: ['completion_rate', 'best_site'] },
  assessment: { per_stall_week: 2, per_escalation: 5, per_late_report: 1, per_finding: 1, shared_prize: 'full', weight_letters: 0, task_percent: 100,
    service_rating_percent: 70, refer_months_behind: 3, refer_escalations: 3 },
}

describe('settings form', () => {
  it('parses amounts separated by commas, Chinese commas or spaces', () => {
    expect(parseAmounts('1000000, 500000')).toEqual([1000000, 500000])
    expect(parseAmounts('1000000，500000、200000')).toEqual([1000000, 500000, 200000])
    expect(parseAmounts('')).toEqual([])
  })
  it('refuses amounts it cannot read exactly', () => {
    expect(parseAmounts('1,000,000.5')).toBeNull()
    expect(parseAmounts('一百万')).toBeNull()
    expect(parseAmounts('-5')).toBeNull()
  })
  it('round-trips the API values, even from a reactive proxy', () => {
    const form = toForm(reactive(structuredClone(defaults)) as Settings)
    expect(form.township_rewards_yuan).toBe('1000000, 500000')
    const { values, bad } = fromForm(form)
    expect(bad).toEqual([])
    expect(values).toEqual(defaults)
  })
  it('names the field it cannot convert', () => {
    const form = toForm(defaults)
    form.township_fines_yuan = '一百万'
    expect(fromForm(form).bad).toEqual(['township_fines_yuan'])
  })
  it('shows every setting exactly once', () => {
    const names = SECTIONS.flatMap((s) => s.fields.map((f) => f.name))
    expect(new Set(names).size).toBe(names.length)
    expect([...names].sort()).toEqual(Object.keys(defaults).sort())
  })
  it('takes today in Asia/Shanghai, whatever the browser zone', () => {
    expect(todayInShanghai(new Date('2026-11-27T16:30:00Z'))).toBe('2026-11-28')
    expect(todayInShanghai(new Date('2026-11-27T15:59:00Z'))).toBe('2026-11-27')
  })
})
