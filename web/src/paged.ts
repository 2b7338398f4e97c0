// A keyset-paginated list shown a page at a time: nothing is cut silently —
// while the server has more, the page offers to load it.
import { ref, type Ref } from 'vue'

export interface Page<T> {
  items: T[]
  next_cursor: string
}

export interface Paged<T> {
  items: Ref<T[]>
  hasMore: Ref<boolean>
  loading: Ref<boolean>
  reload: () => Promise<void>
  more: () => Promise<void>
}

/** usePaged keeps the pages fetched so far; reload starts again. */
export function usePaged<T>(fetchPage: (after: string) => Promise<Page<T>>): Paged<T> {
  const items = ref<T[]>([]) as Ref<T[]>
  const hasMore = ref(false)
  const loading = ref(false)
  let next = ''
  async function load(after: string, replace: boolean) {
    loading.value = true
    try {
      const page = await fetchPage(after)
      items.value = replace ? page.items : [...items.value, ...page.items]
      next = page.next_cursor
      hasMore.value = next !== ''
    } finally {
      loading.value = false
    }
  }
  return {
    items,
    hasMore,
    loading,
    reload: () => load('', true),
    more: () => (next ? load(next, false) : Promise.resolve()),
  }
}
