import { describe, expect, it } from 'vitest'
import { currentWeek } from '../src/week'

describe('weeks in Asia/Shanghai', () => {
  it('Sunday 23:30 and Monday 00:30 in Shanghai are different weeks, whatever the browser zone', () => {
    expect(currentWeek(new Date('2026-03-08T15:30:00Z'))).toBe('2026-03-02') // Sunday 23:30 +08
    expect(currentWeek(new Date('2026-03-08T16:30:00Z'))).toBe('2026-03-09') // Monday 00:30 +08
  })
})
