// Money arrives from the API as whole yuan (integers); offices read 万元.
// These conversions are exact: no floating-point division.

/** Whole yuan → 万元 text with only the decimals needed ("12600.5"). */
export function formatWan(yuan: number): string {
  const neg = yuan < 0
  const y = Math.abs(Math.trunc(yuan))
  const whole = Math.trunc(y / 10000)
  const rest = y - whole * 10000
  let s = whole.toLocaleString('en-US').replace(/,/g, ',')
  if (rest) s += '.' + String(rest).padStart(4, '0').replace(/0+$/, '')
  return (neg ? '-' : '') + s
}

/** 万元 text ("12,600.5") → whole yuan, or null when it is not an exact amount. */
export function parseWan(text: string): number | null {
  const t = text.replace(/[,，\s]/g, '').replace(/万元$/, '')
  const m = /^(\d{1,9})(?:\.(\d{1,4}))?$/.exec(t)
  if (!m) return null
  return Number(m[1]) * 10000 + Number((m[2] ?? '').padEnd(4, '0') || '0')
}
