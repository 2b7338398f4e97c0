import { describe, expect, it } from 'vitest'
import { formatWan, parseWan } from '../src/money'

describe('万元 money', () => {
  it('formats whole yuan exactly', () => {
    expect(formatWan(126005000)).toBe('12,600.5')
    expect(formatWan(1)).toBe('0.0001')
    expect(formatWan(1500000000)).toBe('150,000')
    expect(formatWan(999999999999)).toBe('99,999,999.9999')
  })
  it('parses what offices type, exactly', () => {
    expect(parseWan('12,600.5')).toBe(126005000)
    expect(parseWan(' 300 ')).toBe(3000000)
    expect(parseWan('0.0001')).toBe(1)
    expect(parseWan('1.23456')).toBeNull()
    expect(parseWan('约3亿')).toBeNull()
  })
  it('round-trips', () => {
    for (const y of [0, 1, 9999, 10000, 123456789012]) expect(parseWan(formatWan(y))).toBe(y)
  })
})
