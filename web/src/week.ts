import { todayInShanghai } from './settingsForm'

/** The Monday (YYYY-MM-DD) of the Asia/Shanghai week containing now. */
export function currentWeek(now = new Date()): string {
  const [y, m, d] = todayInShanghai(now).split('-').map(Number)
  const day = new Date(Date.UTC(y, m - 1, d))
  const back = (day.getUTCDay() + 6) % 7
  day.setUTCDate(day.getUTCDate() - back)
  return day.toISOString().slice(0, 10)
}

/** A date (YYYY-MM-DD) moved by n days (a week is 7). */
export function addDays(date: string, n: number): string {
  const d = new Date(date + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
