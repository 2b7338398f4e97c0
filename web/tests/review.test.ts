import { describe, expect, it } from 'vitest'
import { decisionBody, editOf, rowKey, minutesLayout, roundNeighbour, undecided, type ReviewItem } from '../src/review'

const item: ReviewItem = {
  id: 'i1', sitting_id: 's1', sitting: '2026年第3次重点项目联审联批会', sitting_day: '2026-03-11', procedure_id: 'p1', procedure: '施工许可',
  project_id: 'pr1', project: '紫水街道老旧小区改造项目', service_unit_id: 'u1', service_unit: '县住建局', source: 'project', carried_from: null,
  carried: false, first_on: '2026-03-11', outcome: 'pending', deadline: null, done_on: null, days_over: 0, agency_service: false,
  merged_assessment: false, regional_assessment: false, accept_with_deficiencies: false, note: '', decided_at: null, version: 3,
}

describe('a joint review decision', () => {
  it('leaves the deadline out when none is given, so the county default applies', () => {
    expect(decisionBody(item, editOf(item), 'deadline')).toEqual({ outcome: 'deadline', version: 3 })
  })
  it('sends a deadline only with a deadline outcome', () => {
    const e = { ...editOf(item), deadline: '2026-04-01' }
    expect(decisionBody(item, e, 'deadline').deadline).toBe('2026-04-01')
    expect(decisionBody(item, e, 'done').deadline).toBeUndefined()
  })
  it('sends the service unit only when changed, the flags set and a trimmed note', () => {
    const e = { ...editOf(item), service_unit_id: 'u2', accept_with_deficiencies: true, agency_service: true, note: '  容缺后补  ' }
    expect(decisionBody(item, e, 'done')).toEqual({ outcome: 'done', version: 3, service_unit_id: 'u2', agency_service: true, accept_with_deficiencies: true, note: '容缺后补' })
    expect(decisionBody(item, editOf(item), 'done').service_unit_id).toBeUndefined()
  })
  it('starts a decided row from what was decided', () => {
    const decided = { ...item, outcome: 'deadline' as const, deadline: '2026-03-25', merged_assessment: true }
    expect(editOf(decided)).toMatchObject({ deadline: '2026-03-25', merged_assessment: true })
    expect(editOf({ ...decided, outcome: 'done' as const }).deadline).toBe('')
  })
  it('knows what still needs deciding', () => {
    expect(undecided(item)).toBe(true)
    expect(undecided({ ...item, carried: true })).toBe(false)
    expect(undecided({ ...item, outcome: 'done' })).toBe(false)
  })
})

describe('the review table keys', () => {
  it('maps D, L, J, K and the arrows', () => {
    expect(rowKey({ key: 'd' }, false)).toBe('done')
    expect(rowKey({ key: 'L' }, false)).toBe('deadline')
    expect(rowKey({ key: 'ArrowDown' }, false)).toBe('next')
    expect(rowKey({ key: 'k' }, false)).toBe('prev')
    expect(rowKey({ key: 'x' }, false)).toBeNull()
  })
  it('leaves keys typed into a field or with a modifier alone', () => {
    expect(rowKey({ key: 'd' }, true)).toBeNull()
    expect(rowKey({ key: 'd', ctrlKey: true }, false)).toBeNull()
    expect(rowKey({ key: 'l', metaKey: true }, false)).toBeNull()
  })
})

describe('the minutes as a document', () => {
  it('lays out the title, issue line, masthead, headings, decisions and lists', () => {
    const l = minutesLayout([
      '光山县重点项目建设周例会纪要', '2026年第12期', '光山县重点项目建设工作办公室\t2026年12月1日', '12月1日上午，县长王立新主持召开……',
      '会议议定事项', '一、关于某项目。加快办理。责任单位：县住建局；完成时限：2026年12月8日前。', '请大家抓好落实。', '出席：王立新、李四',
    ])
    expect(l.map((x) => x.kind)).toEqual(['title', 'issue', 'masthead', 'para', 'heading', 'decision', 'para', 'list'])
    expect(l[2].parts).toEqual(['光山县重点项目建设工作办公室', '2026年12月1日'])
  })
  it('does not take a paragraph that mentions 一、 later for a decision', () => {
    expect(minutesLayout(['t', 'i', 'm', '会议强调：一、要抓落实'])[3].kind).toBe('para')
  })
})

describe('batch ground-breaking rounds', () => {
  it('steps to the day before and after the window', () => {
    expect(roundNeighbour({ from: '2026-11-01', to: '2026-12-31' }, -1)).toBe('2026-10-31')
    expect(roundNeighbour({ from: '2026-11-01', to: '2026-12-31' }, 1)).toBe('2027-01-01')
  })
})
