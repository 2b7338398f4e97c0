import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, login, shot, apiGet } from './helpers.mjs'

// The monthly observation (观摩评比, M1.6): the office (gs.office) puts this
// month's event on record with two judges — 罗军 (gs.unit) and 王立新
// (gs.leader) — and four of the demo's five projects in tour order; 罗军
// scores three sites on a phone, one of them offline (queued, then sent
// once); 王立新 scores all four; the office sees who has scored, closes
// (a note is required for the missing sheet) and reads the rankings.
// 罗军's sheets carry his photos: one taken online, and for the offline
// site a good photo and a damaged one, kept on the phone until the network
// is back; the damaged one is left out with a note, the sheet is not.

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const phone = { width: 390, height: 844 }
let eventId = ''
const tour = ['GS2026-003', 'GS2026-001', 'GS2026-002', 'GS2026-004'] // the order the office leaves them in

async function pick(page, selector, text) {
  await page.click(selector)
  await page.keyboard.type(text)
  await page.click(`.el-select-dropdown__item:visible:has-text("${text}")`)
  await page.click('.el-dialog__title') // a multiple select stays open
  await page.waitForSelector('.el-select-dropdown:visible', { state: 'hidden' })
}

test('the office creates this month’s observation with two judges and four sites in tour order', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/observations' })
  await page.waitForSelector('[data-test=obs-list]')
  assert.match(await page.textContent('.el-aside [data-menu=observation]'), /观摩评比/)
  await page.click('[data-test=obs-create]')
  await page.waitForSelector('[data-test=obs-form]')
  await pick(page, '[data-test=obs-judges]', '罗军')
  await pick(page, '[data-test=obs-judges]', '王立新')
  for (const code of ['GS2026-001', 'GS2026-002', 'GS2026-003', 'GS2026-004']) {
    await page.click('[data-test=obs-add-site]')
    await page.keyboard.type(code)
    await page.click(`.el-select-dropdown__item:visible:has-text("${code}")`)
  }
  // 003 goes first: two steps up.
  for (let i = 0; i < 2; i++) await page.click('[data-test=obs-tour-site][data-code="GS2026-003"] [data-test=obs-site-up]')
  const order = () => page.$$eval('[data-test=obs-tour-site]', (els) => els.map((e) => e.getAttribute('data-code')))
  assert.deepEqual(await order(), tour)
  // Dragged to the top, then three steps down again.
  await page.dragAndDrop('[data-test=obs-tour-site][data-code="GS2026-004"]', '[data-test=obs-tour-site][data-code="GS2026-003"]')
  assert.deepEqual(await order(), ['GS2026-004', 'GS2026-003', 'GS2026-001', 'GS2026-002'])
  for (let i = 0; i < 3; i++) await page.click('[data-test=obs-tour-site][data-code="GS2026-004"] [data-test=obs-site-down]')
  assert.deepEqual(await order(), tour)
  await shot(page, 'obs-create')
  await page.click('[data-test=obs-save]')
  await page.waitForURL(/\/observations\/[0-9a-f-]{36}$/)
  eventId = page.url().split('/').pop()
  await page.waitForSelector('[data-test=obs-sites] .el-table__row')
  const codes = await page.$$eval('[data-test=obs-sites] .el-table__row', (rows) => rows.map((r) => r.textContent.match(/GS2026-\d{3}/)?.[0]))
  assert.deepEqual(codes, tour)
  // The printable route sheet: the sites in order with their place and unit.
  await page.click('[data-test=obs-route]')
  await page.waitForSelector('[data-test=route-site]')
  assert.match(await page.textContent('[data-test=route-title]'), /观摩路线单/)
  const route = await page.$$eval('[data-test=route-site]', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())))
  assert.deepEqual(route.map((r) => r[1]), tour)
  assert.ok(route.every((r) => r[4] !== ''), 'every site has its responsible unit')
  await page.emulateMedia({ media: 'print' })
  assert.equal(await page.isVisible('[data-test=obs-print]'), false, 'the buttons do not print')
  await shot(page, 'obs-route-print')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

/** A small JPEG drawn by the browser: a coloured field with a label (distinct bytes per call). */
async function jpegOf(page, color, label) {
  const b64 = await page.evaluate(([color, label]) => {
    const c = document.createElement('canvas')
    c.width = 320
    c.height = 240
    const g = c.getContext('2d')
    g.fillStyle = color
    g.fillRect(0, 0, 320, 240)
    g.fillStyle = '#fff'
    g.font = 'bold 36px sans-serif'
    g.fillText(label, 24, 132)
    return c.toDataURL('image/jpeg', 0.85).split(',')[1]
  }, [color, label])
  return Buffer.from(b64, 'base64')
}

/** How many photos the phone keeps in IndexedDB. */
function storedPhotos(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('tuijin-sheet-photos')
    r.onsuccess = () => {
      const db = r.result
      if (!db.objectStoreNames.contains('photos')) return db.close(), resolve(0)
      const c = db.transaction('photos').objectStore('photos').count()
      c.onsuccess = () => (db.close(), resolve(c.result))
      c.onerror = () => reject(c.error)
    }
    r.onerror = () => reject(r.error)
  }))
}

/** Scores the site on screen: points by item key, a comment, Submit and confirm. */
async function scoreSite(page, code, points, comment) {
  await page.waitForSelector(`[data-test=judge-site][data-code="${code}"] [data-test=judge-form]`)
  for (const [key, v] of Object.entries(points)) {
    await page.fill(`[data-test=judge-item][data-key=${key}] .stepper input`, String(v))
    await page.keyboard.press('Tab')
  }
  const total = Object.values(points).reduce((a, b) => a + b, 0)
  await page.waitForFunction((n) => document.querySelector('[data-test=judge-total]')?.textContent.includes(`合计 ${n} / 100`), total)
  if (comment) await page.fill('[data-test=judge-comment]', comment)
  await page.click('[data-test=judge-submit]')
  await page.click('.el-message-box__btns .el-button--primary')
}

test('罗军 scores three sites on a phone, one offline: it waits in the queue and arrives once', async () => {
  const page = await newPage(browser, phone)
  const posts = []
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/sheets')) posts.push(JSON.parse(r.postData()))
  })
  await login(page, 'gs.unit', { to: '/observations' })
  await page.waitForSelector('[data-test=obs-mine-event]')
  await shot(page, 'obs-judge-phone-list')
  await page.click('[data-test=obs-go-score]')
  await page.waitForSelector('[data-test=judge-site]')
  await shot(page, 'obs-judge-phone-first')
  // The stepper and the buttons are big enough for a thumb.
  for (const sel of ['[data-test=judge-submit]', '[data-test=judge-next]', '[data-test=judge-dot]', '[data-test=judge-item] .el-input-number__increase']) {
    const box = await page.locator(sel).first().boundingBox()
    assert.ok(box.height >= 44 && box.width >= 44, `${sel} is ${box.width}×${box.height}`)
  }
  await page.click('[data-test=judge-item][data-key=highlight] .el-input-number__increase')
  // A photo of the first site: kept on the phone, uploaded at once.
  await page.setInputFiles('[data-test=judge-photo-input]', { name: '现场1.jpg', mimeType: 'image/jpeg', buffer: await jpegOf(page, '#2f6fb3', '003 现场') })
  await page.waitForSelector('[data-test=judge-photo][data-state=uploaded] img')
  assert.equal((await page.textContent('[data-test=judge-photo-count]')).trim(), '1/6')
  for (const sel of ['[data-test=judge-photo-add]', '[data-test=judge-photo-remove]']) {
    const box = await page.locator(sel).first().boundingBox()
    assert.ok(box.height >= 44 && box.width >= 44, `${sel} is ${box.width}×${box.height}`)
  }
  assert.equal(await page.getAttribute('[data-test=judge-photo-input]', 'capture'), 'environment')
  await page.$eval('[data-test=judge-photos]', (el) => el.scrollIntoView({ block: 'center' }))
  await shot(page, 'obs-judge-phone-photo')
  await scoreSite(page, tour[0], { image: 28, investment: 25, quality: 14, highlight: 13 }, '征迁推进快，现场整洁')
  await page.waitForSelector(`[data-test=judge-dot]:nth-child(1)[data-state=sent]`)

  // The second site offline: a good photo and a damaged one wait on the
  // phone, the sheet is kept there too and counted as waiting.
  await page.context().setOffline(true)
  await page.waitForSelector(`[data-test=judge-site][data-code="${tour[1]}"] [data-test=judge-form]`)
  await page.setInputFiles('[data-test=judge-photo-input]', [
    { name: '现场2.jpg', mimeType: 'image/jpeg', buffer: await jpegOf(page, '#1f7a3a', '001 现场') },
    { name: '损坏.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 7)]) },
  ])
  await page.waitForFunction(() => document.querySelectorAll('[data-test=judge-photo][data-state=waiting]').length === 2)
  assert.equal((await page.textContent('[data-test=judge-photo-count]')).trim(), '2/6')
  await page.$eval('[data-test=judge-photos]', (el) => el.scrollIntoView({ block: 'center' }))
  await shot(page, 'obs-judge-phone-photos-offline')
  await scoreSite(page, tour[1], { image: 26, investment: 27, quality: 17, highlight: 16 }, '投资完成较好')
  await page.waitForSelector('[data-test=judge-pending]')
  assert.match(await page.textContent('[data-test=judge-pending]'), /1 份评分待发送/)
  await page.waitForSelector('[data-test=judge-dot]:nth-child(2)[data-state=queued]')
  const stored = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('tuijin.observation.sheets.')).map(([, v]) => JSON.parse(v)))
  assert.equal(stored.length, 1)
  assert.equal(stored[0].pending.length, 1)
  const key = stored[0].pending[0].key
  assert.match(key, /^[0-9a-f-]{36}$/)
  assert.deepEqual(stored[0].pending[0].photos.map((p) => [p.name, p.id]), [['现场2.jpg', undefined], ['损坏.jpg', undefined]], 'the sheet names its photos, not yet uploaded')
  assert.equal(await storedPhotos(page), 2, 'the offline photos are kept in IndexedDB; the first site’s left once its sheet was in')
  await page.click('[data-test=judge-dot]:nth-child(2)')
  // The good photo from the phone's copy; the damaged one cannot be shown.
  await page.waitForFunction(() => document.querySelectorAll('[data-test=judge-mine-photo] img').length === 1)
  assert.deepEqual(await page.$$eval('[data-test=judge-mine-photo]', (els) => els.map((e) => e.getAttribute('data-state'))), ['waiting', 'waiting'])
  assert.match(await page.textContent('[data-test=judge-mine-photos]'), /无法预览/)
  await shot(page, 'obs-judge-phone-queued')
  // Back online: the good photo goes up, the damaged one is refused and left
  // out with a note; the sheet is sent with the same key and its photo.
  await page.context().setOffline(false)
  await page.waitForSelector('[data-test=judge-dot]:nth-child(2)[data-state=sent]', { timeout: 20000 })
  assert.equal(await page.isVisible('[data-test=judge-pending]'), false)
  await page.waitForSelector('[data-test=judge-photo-dropped]')
  assert.match(await page.textContent('[data-test=judge-photo-dropped]'), /损坏\.jpg[\s\S]*评分已发送，不含此照片/)
  const tries = posts.filter((p) => p.project_id === stored[0].pending[0].project_id)
  assert.ok(tries.length >= 1)
  assert.ok(tries.every((p) => p.idempotency_key === key), 'every try carries the same key')
  assert.equal(tries.at(-1).photo_ids.length, 1, 'the sheet names the good photo')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=judge-mine-photo][data-state=ready] img').length === 1, null, { timeout: 20000 })
  assert.equal(await storedPhotos(page), 0, 'the photos left the phone once the sheet was in')
  await shot(page, 'obs-judge-phone-sent-photo')
  await page.click('[data-test=judge-photo-dropped] .el-button')
  await page.waitForSelector('[data-test=judge-photo-dropped]', { state: 'detached' })
  // Sent again by hand with the same key: the server answers it as a replay.
  const replay = await page.request.post(`${BASE}/api/v1/observations/${eventId}/sheets`, { data: tries[0] })
  assert.equal(replay.status(), 201)
  assert.equal(replay.headers()['idempotent-replay'], 'true')

  // The third site: a photo taken, then the phone forgets its queue (another
  // phone, or the browser's data cleared): after a reload the draft's photo
  // comes back from the server. A second photo taken and removed stays
  // removed after another reload.
  await page.click('[data-test=judge-dot]:nth-child(3)')
  await page.waitForSelector(`[data-test=judge-site][data-code="${tour[2]}"] [data-test=judge-form]`)
  await page.setInputFiles('[data-test=judge-photo-input]', { name: '现场3.jpg', mimeType: 'image/jpeg', buffer: await jpegOf(page, '#ad6800', '002 现场') })
  await page.waitForSelector('[data-test=judge-photo][data-state=uploaded]')
  await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tuijin.observation.sheets.')).forEach((k) => localStorage.removeItem(k)))
  await page.reload()
  await page.waitForSelector(`[data-test=judge-site][data-code="${tour[2]}"] [data-test=judge-form]`)
  await page.waitForSelector('[data-test=judge-photo][data-state=uploaded] img', { timeout: 20000 })
  assert.equal((await page.textContent('[data-test=judge-photo-count]')).trim(), '1/6')
  const kept = (await apiGet(page, `/api/v1/observations/${eventId}`)).body.my_photos.at(-1).id
  await page.setInputFiles('[data-test=judge-photo-input]', { name: '多余.jpg', mimeType: 'image/jpeg', buffer: await jpegOf(page, '#86909c', '多余') })
  await page.waitForFunction(() => document.querySelectorAll('[data-test=judge-photo][data-state=uploaded]').length === 2)
  await page.locator('[data-test=judge-photo-remove]').nth(1).click()
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForFunction(() => document.querySelector('[data-test=judge-photo-count]')?.textContent.trim() === '1/6')
  await page.reload()
  await page.waitForSelector(`[data-test=judge-site][data-code="${tour[2]}"] [data-test=judge-form]`)
  await page.waitForSelector('[data-test=judge-photo][data-state=uploaded] img', { timeout: 20000 })
  assert.equal((await page.textContent('[data-test=judge-photo-count]')).trim(), '1/6', 'the removed photo stays off the draft')
  await scoreSite(page, tour[2], { image: 20, investment: 22, quality: 15, highlight: 12 }, '')
  await page.waitForSelector('[data-test=judge-dot]:nth-child(3)[data-state=sent]')
  const d = await apiGet(page, `/api/v1/observations/${eventId}`)
  assert.equal(d.body.mine.length, 3, 'three sheets, each counted once')
  assert.equal(d.body.sheets.length, 0, 'a judge sees no one else’s sheets')
  const photosOf = (code) => d.body.mine.find((m) => m.project_id === d.body.sites.find((s) => s.code === code).project_id).photos
  assert.equal(photosOf(tour[0]).length, 1, 'the first sheet arrived with its photo')
  assert.equal(photosOf(tour[1]).length, 1, 'the offline sheet arrived with its good photo')
  assert.deepEqual(photosOf(tour[2]).map((p) => p.id), [kept], 'the restored photo went with the third sheet, the removed one did not')
  assert.equal(d.body.my_photos.length, 4, 'each photo uploaded once (the removed one stays on the server, on no sheet)')
  const thumb = await page.request.get(BASE + photosOf(tour[1])[0].thumb_url)
  assert.equal(thumb.status(), 200)
  assert.equal(thumb.headers()['content-type'], 'image/jpeg')
  await page.click('[data-test=judge-dot]:nth-child(2)')
  await shot(page, 'obs-judge-phone-sent')
  assert.deepEqual(page.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e)), [])
  await page.context().close()
})

test('王立新 scores the four sites on a phone', async () => {
  const page = await newPage(browser, phone)
  await login(page, 'gs.leader', { to: `/observations/${eventId}/judge` })
  // 紫水街道's site (80 and 84) ties 十里镇's (82, one judge): the tie-break decides.
  const sheets = [[30, 28, 16, 10], [27, 26, 18, 15], [22, 20, 16, 14], [25, 25, 17, 15]]
  for (let i = 0; i < tour.length; i++) {
    const [image, investment, quality, highlight] = sheets[i]
    await scoreSite(page, tour[i], { image, investment, quality, highlight }, i === 0 ? '亮点突出' : '')
    await page.waitForSelector(`[data-test=judge-dot]:nth-child(${i + 1})[data-state=sent]`)
  }
  await page.waitForSelector('[data-test=judge-done]')
  await shot(page, 'obs-judge-phone-leader-done')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('the office follows who has scored, closes with a note for the missing sheet and reads the rankings', async () => {
  // 罗军 has the fourth site open on his phone while the office closes.
  const judge = await newPage(browser, phone)
  await login(judge, 'gs.unit', { to: `/observations/${eventId}/judge` })
  await judge.waitForSelector(`[data-test=judge-site][data-code="${tour[3]}"] [data-test=judge-form]`)
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: `/observations/${eventId}` })
  await page.waitForSelector('[data-test=obs-progress]')
  const rows = await page.$$eval('[data-test=obs-progress-row]', (els) => els.map((e) => [e.getAttribute('data-judge'), e.querySelectorAll('td.yes').length]))
  assert.deepEqual(Object.fromEntries(rows), { 罗军: 3, 王立新: 4 })
  assert.doesNotMatch(await page.textContent('[data-test=obs-progress]'), /\b2[0-9]\b/, 'no points while scoring')
  await shot(page, 'obs-progress')
  await page.click('[data-test=obs-close]')
  await page.waitForSelector('[data-test=obs-close-dialog]')
  assert.match(await page.textContent('[data-test=obs-close-dialog]'), /还有1份评分未提交/)
  await page.click('[data-test=obs-close-confirm]')
  // The API's word on why not: shown at the note.
  await page.waitForSelector('[data-test=obs-close-dialog] .el-form-item__error')
  assert.match(await page.textContent('[data-test=obs-close-dialog] .el-form-item__error'), /尚有1份评分未提交.*请说明原因/)
  await shot(page, 'obs-close-refused')
  await page.fill('[data-test=obs-close-note]', '罗军同志因防汛值班未到第4个观摩点')
  await page.click('[data-test=obs-close-confirm]')
  await page.waitForSelector('[data-test=obs-site-ranking] .el-table__row')
  assert.match(await page.textContent('[data-test=obs-status]'), /已结束/)
  assert.match(await page.textContent('[data-test=obs-close-note-shown]'), /防汛值班/)
  const sites = await page.$$eval('[data-test=obs-site-ranking] .el-table__row', (rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())))
  assert.equal(sites.length, 4)
  assert.equal(sites[0][0], '1')
  assert.ok(await page.locator('[data-test=obs-pool]').count() >= 1, 'units ranked in their pools')
  const townships = await page.textContent('[data-test=obs-pool][data-pool=townships]')
  assert.match(townships, /乡镇（街道）排名/)
  assert.match(townships, /得分相同/, 'the tie is explained')
  const d = await apiGet(page, `/api/v1/observations/${eventId}`)
  assert.equal(d.body.sheets.length, 7, 'seven sheets: the offline one counted once')
  assert.equal(d.body.sheets.filter((s) => s.photos.length === 1).length, 3, '罗军’s photos are on his sheets for all to see')
  assert.equal(await page.locator('[data-test=obs-sheets] .el-table__body-wrapper .el-table__row').count(), 7)
  assert.match(await page.textContent('[data-test=obs-sheets]'), /投资完成较好/)
  await shot(page, 'obs-results')
  // Too late: the server refuses the sheet for good; the judge reads why and it leaves the queue.
  await scoreSite(judge, tour[3], { image: 20, investment: 20, quality: 15, highlight: 15 }, '')
  await judge.waitForSelector('[data-test=judge-refused]')
  assert.match(await judge.textContent('[data-test=judge-refused]'), /评分已结束/)
  assert.equal(await judge.getAttribute('[data-test=judge-dot]:nth-child(4)', 'data-state'), 'rejected')
  assert.equal(await judge.isVisible('[data-test=judge-pending]'), false)
  await shot(judge, 'obs-judge-phone-refused')
  await judge.context().close()
  await page.locator('[data-test=obs-pool]').first().scrollIntoViewIfNeeded()
  await shot(page, 'obs-results-pools')
  await page.locator('[data-test=obs-sheets]').scrollIntoViewIfNeeded()
  // The office sees the judges' photos on their sheets.
  assert.equal(await page.locator('[data-test=obs-sheet-photo]').count(), 3)
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=obs-sheet-photo] img')].some((i) => i.complete && i.naturalWidth > 0))
  await shot(page, 'obs-results-sheets')
  // The monthly review: issued, frozen, its files served; a correction needs a reason.
  await page.locator('[data-test=obs-review]').scrollIntoViewIfNeeded()
  assert.equal(await page.isVisible('[data-test=review-none]'), true)
  await page.click('[data-test=review-issue]')
  await page.click('[data-test=review-confirm]')
  await page.waitForSelector('[data-test=review-versions] .el-table__row')
  assert.match(await page.textContent('[data-test=review-versions]'), /年第\d+期[\s\S]*第1版/)
  const pdfHref = await page.getAttribute('[data-test=review-file-pdf]', 'href')
  const pdf = await page.request.get(BASE + pdfHref)
  assert.equal(pdf.status(), 200)
  assert.equal(pdf.headers()['content-type'], 'application/pdf')
  const html = await page.request.get(BASE + (await page.getAttribute('[data-test=review-file-html]', 'href')))
  assert.match(await html.text(), /重点项目(半年)?观摩点评/)
  await page.click('[data-test=review-issue]')
  await page.click('[data-test=review-confirm]')
  await page.waitForSelector('[data-test=review-error]')
  await page.fill('[data-test=review-reason]', '补充第4个观摩点的说明')
  await page.click('[data-test=review-confirm]')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=review-versions] .el-table__row').length === 2)
  await page.locator('[data-test=obs-review]').scrollIntoViewIfNeeded()
  await shot(page, 'obs-review-issued')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})
