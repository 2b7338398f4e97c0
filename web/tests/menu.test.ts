import { describe, expect, it } from 'vitest'
import { visibleMenu, canWrite, isFieldUser, hasAny } from '../src/menu'

describe('menu by role', () => {
  it('gives the office everything of its county', () => {
    expect(visibleMenu(['office']).map((m) => m.key)).toEqual(['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'pipeline', 'letters', 'units', 'people', 'groups', 'accounts', 'settings', 'audit'])
  })
  it('gives field roles the field pages only', () => {
    expect(visibleMenu(['task_force']).map((m) => m.key)).toEqual(['home', 'projects', 'meetings', 'actions', 'bulletins', 'observation', 'batch', 'units', 'people', 'groups'])
    expect(visibleMenu(['unit_user']).map((m) => m.key)).toEqual(['home', 'projects', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'letters', 'units', 'people', 'groups'])
    expect(visibleMenu(['inspector']).map((m) => m.key)).toEqual(['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'letters', 'units', 'people', 'groups'])
  })
  it('lets the municipal office read but not manage accounts', () => {
    expect(visibleMenu(['municipal']).map((m) => m.key)).not.toContain('accounts')
    expect(canWrite(['municipal'], 'org')).toBe(false)
    expect(canWrite(['municipal'], 'settings')).toBe(false)
  })
  it('unions the pages of several roles', () => {
    expect(visibleMenu(['task_force', 'leading_group']).map((m) => m.key)).toContain('audit')
  })
  it('shows nothing to an account without roles', () => {
    expect(visibleMenu([])).toEqual([])
  })
  it('decides who writes what', () => {
    expect(canWrite(['office'], 'settings')).toBe(true)
    expect(canWrite(['platform_admin'], 'settings')).toBe(false)
    expect(canWrite(['platform_admin'], 'accounts')).toBe(true)
    expect(canWrite(['leading_group'], 'org')).toBe(false)
  })
  it('knows field users', () => {
    expect(isFieldUser(['task_force'])).toBe(true)
    expect(isFieldUser(['task_force', 'office'])).toBe(false)
    expect(isFieldUser([])).toBe(false)
    // The statistics bureau verifies monthly figures at a desk (M4.4).
    expect(isFieldUser(['statistics'])).toBe(false)
    expect(visibleMenu(['statistics']).map((m) => m.key)).toEqual(['home', 'projects', 'meetings', 'actions', 'bulletins', 'observation', 'batch', 'units', 'people', 'groups'])
    expect(hasAny(['a'], ['b', 'a'])).toBe(true)
  })
})
