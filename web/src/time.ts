import { currentLocale } from './i18n'

// fmtTime shows an instant as the county reads it: Beijing time, in the
// console's language.
export const fmtTime = (s?: string | null) =>
  s ? new Date(s).toLocaleString(currentLocale() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai' }) : ''
