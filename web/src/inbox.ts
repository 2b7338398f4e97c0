// The unread count shown on the header's bell, refreshed every minute and
// after reading.
import { reactive } from 'vue'
import { api } from './api/client'

export const inbox = reactive({ unread: 0 })

export async function refreshUnread() {
  try {
    inbox.unread = (await api.get('/api/v1/notifications', { query: { limit: 1 } })).unread
  } catch {
    // The bell is a hint; a failed refresh keeps the last count.
  }
}

let timer: ReturnType<typeof setInterval> | undefined
export function watchUnread() {
  void refreshUnread()
  if (!timer) timer = setInterval(() => void refreshUnread(), 60_000)
}
export function stopUnread() {
  if (timer) clearInterval(timer)
  timer = undefined
}
