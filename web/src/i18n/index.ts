import { createI18n } from 'vue-i18n'
import zh from './zh-CN'
import en from './en'
import type { Locale } from '../errors'

const stored = localStorage.getItem('tuijin.locale')
export const initialLocale: Locale = stored === 'en' ? 'en' : 'zh-CN'

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
})

export function setLocale(l: Locale) {
  i18n.global.locale.value = l
  localStorage.setItem('tuijin.locale', l)
  document.documentElement.lang = l
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}
