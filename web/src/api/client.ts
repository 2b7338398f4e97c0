// A typed client for the tuijin API. Paths, bodies and responses are typed
// from src/api/schema.d.ts, which `npm run gen:api` generates from the
// server's OpenAPI document: an API change that breaks the console fails
// the type check.
import type { paths, components } from './schema'

export type Schemas = components['schemas']

type Method = 'get' | 'post' | 'put' | 'delete'
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>
type JSONOf<T> = T extends { content: { 'application/json': infer R } } ? R : never

/** The success body of an operation (200, 201 or 202), or void for 204. */
export type ResponseOf<P extends keyof paths, M extends Method> = Op<P, M> extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JSONOf<A>
    : R extends { 201: infer B }
      ? JSONOf<B>
      : R extends { 202: infer C }
        ? JSONOf<C>
        : void
  : never

/** The JSON body an operation takes. */
export type BodyOf<P extends keyof paths, M extends Method> = Op<P, M> extends {
  requestBody: { content: { 'application/json': infer B } }
}
  ? B
  : never

type PathParams<P extends keyof paths, M extends Method> = Op<P, M> extends { parameters: { path: infer X } }
  ? X extends Record<string, unknown>
    ? X
    : never
  : never
type QueryParams<P extends keyof paths, M extends Method> = Op<P, M> extends { parameters: { query?: infer Q } }
  ? Q
  : never

export interface FieldError {
  field: string
  code: string
  message_zh: string
  message_en: string
}

/** An error answered by the API, with its stable code and messages. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly messageZH: string
  readonly messageEN: string
  readonly requestID: string
  readonly fields: FieldError[]
  /** What the client can follow up, e.g. the import attempt with the annotated workbook. */
  readonly ref: string
  constructor(status: number, body: Schemas['ErrorBody'] | undefined) {
    const e = body?.error
    super(e?.message_en ?? `HTTP ${status}`)
    this.status = status
    this.code = e?.code ?? 'http_' + status
    this.messageZH = e?.message_zh ?? `请求失败（${status}）`
    this.messageEN = e?.message_en ?? `request failed (${status})`
    this.requestID = e?.request_id ?? ''
    this.fields = e?.fields ?? []
    this.ref = e?.ref ?? ''
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('network error: ' + String(cause))
  }
}

/** Called for answers that need the shell's attention (session ended, …). */
export type Interceptor = (err: ApiError) => void
let interceptor: Interceptor = () => {}
export function onApiError(fn: Interceptor) {
  interceptor = fn
}

export function buildPath(template: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  let p = template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params?.[k]
    if (v === undefined || v === null || v === '') throw new Error(`missing path parameter ${k}`)
    return encodeURIComponent(String(v))
  })
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const qs = q.toString()
  if (qs) p += '?' + qs
  return p
}

async function request(method: string, url: string, body?: unknown): Promise<unknown> {
  let resp: Response
  try {
    resp = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (e) {
    throw new NetworkError(e)
  }
  if (resp.status === 204) return undefined
  const text = await resp.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data as Schemas['ErrorBody'])
    interceptor(err)
    throw err
  }
  return data
}

interface Opts<P extends keyof paths, M extends Method> {
  params?: PathParams<P, M>
  query?: QueryParams<P, M>
}

export const api = {
  get<P extends keyof paths>(path: P, opts?: Opts<P, 'get'>): Promise<ResponseOf<P, 'get'>> {
    return request('GET', buildPath(path as string, opts?.params, opts?.query as Record<string, unknown>)) as Promise<ResponseOf<P, 'get'>>
  },
  post<P extends keyof paths>(path: P, body: BodyOf<P, 'post'> | undefined, opts?: Opts<P, 'post'>): Promise<ResponseOf<P, 'post'>> {
    return request('POST', buildPath(path as string, opts?.params), body ?? {}) as Promise<ResponseOf<P, 'post'>>
  },
  put<P extends keyof paths>(path: P, body: BodyOf<P, 'put'>, opts?: Opts<P, 'put'>): Promise<ResponseOf<P, 'put'>> {
    return request('PUT', buildPath(path as string, opts?.params), body) as Promise<ResponseOf<P, 'put'>>
  },
  delete<P extends keyof paths>(path: P, opts?: Opts<P, 'delete'>): Promise<ResponseOf<P, 'delete'>> {
    return request('DELETE', buildPath(path as string, opts?.params)) as Promise<ResponseOf<P, 'delete'>>
  },
}

/** Fetches every page of a keyset-paginated list (a cursor that never ends is an error, not a cut). */
export async function all<T>(fetchPage: (after: string) => Promise<{ items: T[]; next_cursor: string }>): Promise<T[]> {
  const out: T[] = []
  let after = ''
  for (let i = 0; i < 10000; i++) {
    const page = await fetchPage(after)
    out.push(...page.items)
    if (!page.next_cursor) return out
    after = page.next_cursor
  }
  throw new Error('the list did not end after 10000 pages')
}

/** Uploads a file as the raw request body, reporting upload progress (0–1); `headers` are sent besides. */
export function upload<T>(url: string, file: Blob, contentType: string, onProgress?: (f: number) => void, headers?: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', url)
    xhr.setRequestHeader('Content-Type', contentType)
    xhr.setRequestHeader('Accept', 'application/json')
    for (const [k, v] of Object.entries(headers ?? {})) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total)
    }
    xhr.onerror = () => reject(new NetworkError('upload failed'))
    xhr.onload = () => {
      let data: unknown
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined
      } catch {
        data = undefined
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T)
      else {
        const err = new ApiError(xhr.status, data as Schemas['ErrorBody'])
        interceptor(err)
        reject(err)
      }
    }
    xhr.send(file)
  })
}
