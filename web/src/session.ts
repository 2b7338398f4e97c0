import { reactive } from 'vue'
import { api, type Schemas } from './api/client'

export type Me = Schemas['Me']

/** The logged-in account, as the server last described it. */
export const session = reactive<{ me: Me | null; loaded: boolean }>({ me: null, loaded: false })

export async function loadSession(): Promise<Me | null> {
  try {
    session.me = await api.get('/api/v1/auth/me')
  } catch {
    session.me = null
  }
  session.loaded = true
  return session.me
}

export async function login(username: string, password: string): Promise<Me> {
  const me = await api.post('/api/v1/auth/login', { username, password })
  session.me = me
  session.loaded = true
  return me
}

export async function logout() {
  try {
    await api.post('/api/v1/auth/logout', undefined)
  } finally {
    session.me = null
  }
}

export async function switchCounty(countyID: string) {
  session.me = await api.put('/api/v1/auth/county', { county_id: countyID })
}

export function clearSession() {
  session.me = null
}
