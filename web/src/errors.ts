import { ApiError, NetworkError } from './api/client'

export type Locale = 'zh-CN' | 'en'

/** A message a person can act on, in the console's language. */
export function messageOf(err: unknown, locale: Locale): string {
  if (err instanceof ApiError) {
    const msg = locale === 'en' ? err.messageEN : err.messageZH
    if (err.status >= 500 && err.requestID) {
      return locale === 'en' ? `${msg} (request ${err.requestID})` : `${msg}（请求编号 ${err.requestID}）`
    }
    return msg
  }
  if (err instanceof NetworkError) {
    return locale === 'en' ? 'Cannot reach the server. Check the network and try again; nothing you typed is lost.' : '无法连接服务器，请检查网络后重试；已填写的内容不会丢失。'
  }
  return locale === 'en' ? 'Something went wrong.' : '操作失败。'
}

/** Field errors by field name, for showing at the form item. */
export function fieldErrors(err: unknown, locale: Locale): Record<string, string> {
  const out: Record<string, string> = {}
  if (err instanceof ApiError) {
    for (const f of err.fields) {
      if (!out[f.field]) out[f.field] = locale === 'en' ? f.message_en : f.message_zh
    }
  }
  return out
}
