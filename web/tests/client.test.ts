import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, buildPath, ApiError, NetworkError, onApiError, all } from '../src/api/client'
import { messageOf, fieldErrors } from '../src/errors'

afterEach(() => vi.unstubAllGlobals())

function respond(status: number, body: unknown) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status })))
}

describe('api client', () => {
  it('fills path parameters and drops empty query values', () => {
    expect(buildPath('/api/v1/groups/{id}/members/{personId}', { id: 'a b', personId: 'p' })).toBe('/api/v1/groups/a%20b/members/p')
    expect(buildPath('/api/v1/units', undefined, { limit: 50, after: '', q: '镇' })).toBe('/api/v1/units?limit=50&q=%E9%95%87')
    expect(() => buildPath('/api/v1/units/{id}', {})).toThrow(/id/)
  })
  it('turns error bodies into ApiError with both messages and field errors', async () => {
    respond(400, { error: { code: 'validation_failed', message_zh: '输入有误', message_en: 'invalid', request_id: 'r1',
      fields: [{ field: 'name', code: 'required', message_zh: '名称不能为空', message_en: 'must not be empty' }] } })
    const err = await api.post('/api/v1/units', { code: 'x', name: '', kind: 'town', is_service_unit: false }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('validation_failed')
    expect(messageOf(err, 'zh-CN')).toBe('输入有误')
    expect(messageOf(err, 'en')).toBe('invalid')
    expect(fieldErrors(err, 'zh-CN')).toEqual({ name: '名称不能为空' })
  })
  it('adds the request id to server errors', () => {
    const err = new ApiError(500, { error: { code: 'internal', message_zh: '服务器内部错误', message_en: 'internal', request_id: 'abc' } })
    expect(messageOf(err, 'zh-CN')).toContain('abc')
  })
  it('tells the shell about errors (session expiry)', async () => {
    const seen: string[] = []
    onApiError((e) => seen.push(e.code))
    respond(401, { error: { code: 'session_expired', message_zh: '登录已过期', message_en: 'expired', request_id: 'r' } })
    await api.get('/api/v1/auth/me').catch(() => undefined)
    expect(seen).toEqual(['session_expired'])
  })
  it('reports an unreachable server as a network error that keeps input', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    const err = await api.get('/api/v1/units').catch((e) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(messageOf(err, 'zh-CN')).toContain('不会丢失')
  })
  it('walks every page of a list', async () => {
    const pages: Record<string, { items: number[]; next_cursor: string }> = { '': { items: [1, 2], next_cursor: 'c1' }, c1: { items: [3], next_cursor: '' } }
    expect(await all((after) => Promise.resolve(pages[after]))).toEqual([1, 2, 3])
  })
})
