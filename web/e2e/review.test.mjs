import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, login, shot, apiGet } from './helpers.mjs'

// Joint review (联审联批), batch ground-breaking rounds (双月开工) and the
// minutes tab. The demo has no procedure items and no planned starts, so
// the tests make their own through the API: ledger items on demo projects,
// and two projects on 2027's list planned to start in January 2027 (a
// future round, so the 2026 figures other tests read do not move).
// They use the last planned joint review and weekly sittings of the next
// 60 days; meetings.test.mjs uses the first ones.

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
const addDays = (d, n) => {
  const x = new Date(d + 'T00:00:00Z')
  x.setUTCDate(x.getUTCDate() + n)
  return x.toISOString().slice(0, 10)
}
// Tall enough that a full-page picture holds the shell's scrolling main area.
const desk = { width: 1366, height: 1100 }
const run = Date.now().toString(36).slice(-4).toUpperCase() // codes stay unique when the file runs twice on one server

async function call(page, method, path, data) {
  const r = await page.request.fetch(BASE + path, { method, data })
  const text = await r.text()
  return { status: r.status(), body: text ? JSON.parse(text) : undefined }
}
async function ok(page, method, path, data) {
  const r = await call(page, method, path, data)
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}
async function confirmBox(page) {
  await page.click('.el-message-box__btns .el-button--primary')
}
async function pickOption(page, selector, text) {
  await page.click(selector)
  await page.keyboard.type(text)
  await page.click(`.el-select-dropdown__item:visible:has-text("${text}")`)
}
/** An Element Plus field's own input: el-input puts data-test on it, other widgets on their wrapper. */
async function field(page, selector) {
  const tag = await page.$eval(selector, (e) => e.tagName)
  return tag === 'INPUT' || tag === 'TEXTAREA' ? selector : selector + ' input'
}
async function lastPlanned(page, kind) {
  const r = await apiGet(page, `/api/v1/meetings?from=${addDays(today, 1)}&to=${addDays(today, 60)}`)
  assert.equal(r.status, 200)
  const list = r.body.filter((s) => s.status === 'planned' && s.kind === kind)
  assert.ok(list.length >= 2, `planned ${kind} sittings: ${list.length}`)
  return list.at(-1)
}
async function moveTo(page, s, day, time) {
  return ok(page, 'PUT', '/api/v1/meetings/' + s.id, { day, time, place: s.place, reason: '浏览器测试调整会期', version: s.version })
}
/** Waits for the toasts to go, so that a picture shows the page under them. */
async function quiet(page) {
  await page.waitForSelector('.el-message', { state: 'detached', timeout: 8000 }).catch(() => {})
}
const byCode = (list, code) => list.find((p) => p.code === code)

test('a joint review sitting decided on the table: nominations, one-key decisions, history, the service unit’s view and the figures', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/review' })
  // Three ledger items: 紫水街道's own (its unit nominates it), two others.
  const projects = (await apiGet(office, '/api/v1/projects?limit=200')).body.items
  const types = (await apiGet(office, '/api/v1/procedure-types')).body
  const type = (code) => types.find((t) => t.code === code)
  const proc = async (code, typeCode) => {
    const p = byCode(projects, code)
    const tp = type(typeCode)
    const got = await ok(office, 'POST', `/api/v1/projects/${p.id}/procedures`, { type_id: tp.id, service_unit_id: tp.default_service_unit_id, status: 'pending' })
    return { ...got, project: p.name, type: tp.name }
  }
  const own = await proc('GS2026-003', 'P07') // 施工许可证
  const second = await proc('GS2026-002', 'P05') // 环境影响评价
  const third = await proc('GS2026-001', 'P06') // 节能审查
  // The sitting takes place today (moved before the nominations: an item's
  // first_on is its sitting's day when nominated).
  const jr = await moveTo(office, await lastPlanned(office, 'joint_review'), today, '08:00')
  assert.equal(jr.day, today)
  for (const p of [second, third]) await ok(office, 'POST', `/api/v1/joint-reviews/${jr.id}/items`, { procedure_id: p.id })

  // 紫水街道's user nominates its own item from the 联审联批 page.
  const unit = await newPage(browser, desk)
  await login(unit, 'gs.unit', { to: '/review?tab=sittings' })
  assert.ok((await unit.$$eval('.el-aside [data-menu]', (els) => els.map((e) => e.getAttribute('data-menu')))).includes('review'))
  const row = unit.locator(`[data-test=review-sittings] .el-table__row:has([href*="${jr.id}"])`)
  await row.locator('[data-test=nominate-to]').click()
  await pickOption(unit, '[data-test=nominate-project]', '紫水街道老旧小区改造项目')
  await pickOption(unit, '[data-test=nominate-procedure]', own.type)
  await unit.click('[data-test=nominate-save]')
  await unit.waitForSelector('.el-message--success')
  assert.deepEqual(unit.errors, [])

  // The office opens the sitting on its table.
  await office.goto(BASE + '/meetings/' + jr.id)
  await office.waitForSelector('[data-test=review-table]')
  assert.equal(await office.locator('[data-test=review-row]').count(), 3)
  assert.match(await office.textContent('[data-test=review-keys]'), /D 当场办结/)
  assert.match(await office.textContent('[data-test=sitting-head]'), /联审联批会/)
  const rowOf = (p) => office.locator(`[data-test=review-row][data-project="${p.project}"]`)
  const outcome = (p) => rowOf(p).getAttribute('data-outcome')
  await office.waitForFunction(() => document.querySelectorAll('[data-test=review-row] [data-test=row-unit]').length === 3)

  // Row of 环境影响评价: focus it and press D — done on the spot.
  await rowOf(second).focus()
  await office.keyboard.press('d')
  await office.waitForSelector(`[data-test=review-row][data-project="${second.project}"][data-outcome=done]`)
  assert.match(await rowOf(second).textContent(), new RegExp(today + '办结'))
  // Row of 节能审查: 容缺办理 and 多评合一, then 限期办结 with no date (the county's default).
  await rowOf(third).locator('[data-test=flag-accept_with_deficiencies]').click()
  await rowOf(third).locator('[data-test=flag-merged_assessment]').click()
  await rowOf(third).locator('[data-test=row-deadline-btn]').click()
  await office.waitForSelector(`[data-test=review-row][data-project="${third.project}"][data-outcome=deadline]`)
  const deadline = await rowOf(third).locator('[data-test=row-deadline] input').inputValue()
  assert.match(deadline, /^\d{4}-\d{2}-\d{2}$/)
  assert.ok(deadline > today, `default deadline ${deadline}`)
  // Row of the unit's item: a note, then Enter — a deadline.
  await rowOf(own).locator('[data-test=row-note]').fill('容缺受理，材料会后补齐')
  await rowOf(own).locator('[data-test=row-note]').press('Enter')
  await office.waitForSelector(`[data-test=review-row][data-project="${own.project}"][data-outcome=deadline]`)
  // The ledger knows: the done item is done, the flags are on the other.
  const ledger = await apiGet(office, `/api/v1/projects/${byCode(projects, 'GS2026-001').id}/procedures`)
  const l3 = ledger.body.find((x) => x.id === third.id)
  assert.ok(l3.accept_with_deficiencies && l3.merged_assessment, JSON.stringify(l3))
  await quiet(office)
  await shot(office, 'review-table')
  // History popover of an item.
  await rowOf(own).locator('[data-test=row-source]').click()
  await office.waitForSelector('[data-test=history-line]:visible')
  assert.match(await office.locator('[data-test=history]:visible').textContent(), /联审联批会/)
  await office.mouse.click(600, 900)
  await office.waitForSelector('[data-test=history]', { state: 'hidden' })
  assert.equal(await rowOf(own).locator('td').nth(3).textContent(), today, 'first came to a joint review today')

  // The service unit's view: the office picks the unit serving 施工许可证.
  await office.goto(BASE + '/review?tab=unit')
  const serviceUnit = (await apiGet(office, '/api/v1/units?limit=200&group=service')).body.items.find((u) => u.id === own.service_unit_id)
  assert.ok(serviceUnit, 'the service unit of 施工许可证')
  await pickOption(office, '[data-test=unit-pick]', serviceUnit.name)
  await office.waitForSelector('[data-test=unit-items] .el-table__row')
  assert.match(await office.textContent('[data-test=unit-items]'), /紫水街道老旧小区改造项目/)
  await shot(office, 'review-unit-view')

  // The figures: three items, one done.
  await office.goto(BASE + '/review?tab=figures')
  await office.waitForSelector('[data-test=review-figures]')
  await office.waitForFunction(() => Number(document.querySelector('[data-test=rf-items]')?.textContent) >= 3 &&
    Number(document.querySelector('[data-test=rf-done]')?.textContent) >= 1)
  assert.match(await office.textContent('[data-test=rf-unfinished]'), /节能审查/)
  await shot(office, 'review-figures')
  assert.deepEqual(office.errors, [])
})

test('a batch ground-breaking round: figures, a unit’s reason, the ceremony, previous and next rounds', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/batch-starts' })
  await office.waitForSelector('[data-test=round-title]')
  // Two projects on 2027's list, planned to start in January 2027.
  const lists = (await apiGet(office, '/api/v1/key-lists')).body
  if (!lists.some((l) => l.year === 2027)) await ok(office, 'POST', '/api/v1/key-lists', { year: 2027 })
  const demo = (await apiGet(office, '/api/v1/projects?limit=200')).body.items
  const zishui = byCode(demo, 'GS2026-003')
  const other = byCode(demo, 'GS2026-001')
  const make = async (suffix, name, from, status, start) => {
    const p = await ok(office, 'POST', '/api/v1/projects', {
      code: `BS${run}-${suffix}`, name, category_id: from.category_id, level: 'county', construction_type: 'new', status,
      responsible_unit_id: from.responsible_unit_id, total_investment_yuan: 200000000, planned_start: start,
    })
    await ok(office, 'PUT', `/api/v1/key-lists/2027/projects/${p.id}`, { planned_investment_yuan: 100000000, on: '2027-01-01' })
    return p
  }
  const notYet = await make('1', `紫水街道集中开工测试项目${run}`, zishui, 'preparing', '2027-01-20')
  const started = await make('2', `官渡河配套集中开工测试项目${run}`, other, 'under_construction', '2027-01-10')

  // From this round to the next.
  await office.goto(BASE + '/batch-starts?at=2026-12-15')
  await office.waitForSelector('[data-test=round-window]')
  assert.match(await office.textContent('[data-test=round-title]'), /2026年11-12月/)
  await office.click('[data-test=round-next]')
  await office.waitForFunction(() => /2027年1-2月/.test(document.querySelector('[data-test=round-title]')?.textContent ?? ''))
  await office.waitForSelector(`[data-test=round-projects] .el-table__row:has-text("${notYet.name}")`)
  assert.ok(Number(await office.textContent('[data-test=bf-planned] .n')) >= 2)

  // 紫水街道's user says why its project has not started.
  const unit = await newPage(browser, desk)
  await login(unit, 'gs.unit', { to: '/batch-starts?at=2027-01-15' })
  const unitRow = unit.locator('[data-test=round-projects] .el-table__row', { hasText: notYet.name })
  await unitRow.locator('[data-test=give-reason]').click()
  await unit.fill('[data-test=reason-input]', '施工图审查未完成，预计1月底开工')
  await unit.click('[data-test=reason-save]')
  await unit.waitForSelector('.el-message--success')
  assert.match(await unitRow.textContent(), /施工图审查未完成/)
  assert.equal(await unit.$('[data-test=record-ceremony]'), null, 'a unit does not record the ceremony')
  assert.deepEqual(unit.errors, [])

  // The office records the ceremony with the started project present.
  await office.reload()
  await office.waitForSelector(`[data-test=round-projects] .el-table__row:has-text("施工图审查未完成")`)
  await office.click('[data-test=record-ceremony]')
  await office.fill(await field(office, '[data-test=ceremony-on]'), '2027-01-18')
  await office.keyboard.press('Enter')
  await office.fill('[data-test=ceremony-place]', '官渡河产业集聚区')
  await office.locator('[data-test=ceremony-present] .el-checkbox', { hasText: started.name }).click()
  await office.click('[data-test=ceremony-save]')
  await office.waitForSelector('[data-test=ceremony-text]')
  assert.match(await office.textContent('[data-test=ceremony-text]'), /2027-01-18在官渡河产业集聚区/)
  const startedRow = office.locator('[data-test=round-projects] .el-table__row', { hasText: started.name })
  assert.equal(await startedRow.locator('[data-test=present]').count(), 1)
  assert.match(await startedRow.locator('[data-test=timing]').textContent(), /已开工/)
  await quiet(office)
  await shot(office, 'batch-round')
  // Back to the round before.
  await office.click('[data-test=round-prev]')
  await office.waitForFunction(() => /2026年11-12月/.test(document.querySelector('[data-test=round-title]')?.textContent ?? ''))
  assert.deepEqual(office.errors, [])
})

test('the minutes: the office drafts, the chair issues and corrects, the files download', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/meetings' })
  const w = await lastPlanned(office, 'weekly')
  await moveTo(office, w, addDays(today, -3), '09:00')
  // Not held yet: the tab says so.
  await office.goto(BASE + '/meetings/' + w.id + '?tab=minutes')
  await office.waitForSelector('[data-test=minutes-not-held]')
  await ok(office, 'POST', `/api/v1/meetings/${w.id}/hold`)
  const units = (await apiGet(office, '/api/v1/units?limit=200&q=住建')).body.items
  await ok(office, 'POST', `/api/v1/meetings/${w.id}/actions`, { text: '加快紫水街道老旧小区改造项目施工许可办理', owner_unit_id: units[0].id, deadline: addDays(today, 10) })

  await office.reload()
  await office.waitForSelector('[data-test=minutes-form]')
  assert.ok((await office.getAttribute(await field(office, '[data-test=minutes-intro]'), 'placeholder')).length > 10, 'the usual opening as placeholder')
  await office.fill(await field(office, '[data-test=minutes-closing]'), '会议要求，各责任单位要对照议定事项，倒排工期，确保按期完成。')
  await office.click('[data-test=minutes-save]')
  await office.waitForSelector('.el-message--success')
  await office.waitForFunction(() => /倒排工期/.test(document.querySelector('[data-test=minutes-doc]')?.textContent ?? ''))
  assert.match(await office.textContent('[data-test=doc-title]'), /纪要/)
  assert.match(await office.textContent('[data-test=doc-decision]'), /^一、/)
  assert.match(await office.textContent('[data-test=not-issuable]'), /主持人/)
  for (const f of ['html', 'pdf', 'docx']) {
    const r = await office.request.get(BASE + (await office.getAttribute(`[data-test=draft-${f}]`, 'href')))
    assert.equal(r.status(), 200, 'draft ' + f)
  }
  await quiet(office)
  await shot(office, 'minutes-office')
  assert.deepEqual(office.errors, [])

  // The chair (王立新, 县长) issues it, then a correction with a reason.
  const chair = await newPage(browser, desk)
  await login(chair, 'gs.leader', { to: '/meetings/' + w.id + '?tab=minutes' })
  await chair.click('[data-test=minutes-issue-btn]')
  await confirmBox(chair)
  await chair.waitForSelector('[data-test=version-label]')
  assert.equal(await chair.textContent('[data-test=version-label]'), '第1版')
  assert.match(await chair.textContent('[data-test=version-issue]'), /第\d+期/)
  const files = { html: 'text/html', pdf: 'application/pdf', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }
  for (const [f, type] of Object.entries(files)) {
    const r = await chair.request.get(BASE + (await chair.getAttribute(`[data-test=file-${f}]`, 'href')))
    assert.equal(r.status(), 200, 'issued ' + f)
    assert.ok(r.headers()['content-type'].startsWith(type), r.headers()['content-type'])
    assert.ok((await r.body()).length > 500)
  }
  await chair.click('[data-test=minutes-issue-btn]')
  await chair.waitForSelector('[data-test=correction-form]')
  await chair.fill('[data-test=correction-reason]', '更正议定事项完成时限表述')
  await chair.click('[data-test=correction-issue]')
  await chair.waitForFunction(() => document.querySelectorAll('[data-test=version-label]').length === 2)
  assert.match(await chair.textContent('[data-test=minutes-versions]'), /更正议定事项完成时限表述/)
  await quiet(chair)
  await shot(chair, 'minutes-chair')
  assert.deepEqual(chair.errors, [])
})
