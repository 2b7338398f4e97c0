import { api, all, type Schemas } from './api/client'

export type Unit = Schemas['Unit']
export type Person = Schemas['Person']
export type Group = Schemas['Group']

export const UNIT_KINDS = ['street', 'town', 'township', 'zone', 'department', 'enterprise'] as const
export const RANKS = ['county_leader', 'section_level', 'other'] as const
export const POSITIONS = ['leader', 'deputy', 'member', 'director', 'staff'] as const
export const TOWNSHIP_KINDS: readonly string[] = ['street', 'town', 'township', 'zone']

export function loadUnits(): Promise<Unit[]> {
  return all((after) => api.get('/api/v1/units', { query: { limit: 200, after } }))
}

export function loadPeople(): Promise<Person[]> {
  return all((after) => api.get('/api/v1/people', { query: { limit: 200, after } }))
}

export function loadGroups(): Promise<Group[]> {
  return api.get('/api/v1/groups')
}

/** Counts by key, in the order of keys. */
export function countBy<T>(items: readonly T[], key: (t: T) => string, keys: readonly string[]): number[] {
  const m = new Map<string, number>()
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1)
  return keys.map((k) => m.get(k) ?? 0)
}
