import { describe, expect, it } from 'vitest'
import { addDays, currentWeek } from '../src/week'

describe('weeks in Asia/Shanghai', () => {
  it('Sunday 23:30 and Monday 00:30 in Shanghai are different weeks, whatever the browser zone', () => {
    expect(currentWeek(new Date('2026-03-08T15:30:00Z'))).toBe('2026-03-02') // Sunday 23:30 +08
    expect(currentWeek(new Date('2026-03-08T16:30:00Z'))).toBe('2026-03-09') // Monday 00:30 +08
  })
})

describe('date arithmetic', () => {
  it('moves across month and year ends', () => {
    expect(addDays('2026-03-02', -7)).toBe('2026-02-23')
    expect(addDays('2026-12-28', 6)).toBe('2027-01-03')
  })
})
