import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, login, shot, apiGet } from './helpers.mjs'

// The year-end assessment (考核, M1.7, M1.8, M5): the office opens the
// service units' rating round and 紫水街道 (gs.unit, 罗军) rates the service
// unit of its project's procedure (the demo has none: the office adds one
// to the ledger); the office computes 2026, adjusts a unit's component with
// a reason, the leading group (gs.leader) approves, the office publishes the
// notice and opens its files; 紫水街道 sees its own breakdown only; the
// office records an accountability decision; a person's record opens and
// its workbook downloads.

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const desk = { width: 1366, height: 1100 }
const year = new Date().toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 4)
const run = Date.now().toString(36).slice(-4).toUpperCase() // reasons stay unique when the file runs twice on one server

async function call(page, method, path, data) {
  const r = await page.request.fetch(BASE + path, { method, data })
  const text = await r.text()
  return { status: r.status(), body: text && r.headers()['content-type']?.includes('json') ? JSON.parse(text) : text }
}
async function ok(page, method, path, data) {
  const r = await call(page, method, path, data)
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}
async function confirmBox(page) {
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForSelector('.el-message-box', { state: 'hidden' })
}
/** Waits for the toasts to go, so that a picture shows the page under them. */
async function quiet(page) {
  await page.waitForSelector('.el-message', { state: 'detached', timeout: 8000 }).catch(() => {})
}
async function pickOption(page, selector, text) {
  await page.click(selector)
  await page.click(`.el-select-dropdown__item:visible:has-text("${text}")`)
}

test('the office opens the rating round, 紫水街道 rates the service unit it dealt with, the office sees count and mean only', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/assessments?tab=ratings' })
  assert.match(await office.textContent('.el-aside [data-menu=assessment]'), /考核/)
  // A ledger item on 紫水街道's own project: its service unit is rateable.
  const projects = (await apiGet(office, '/api/v1/projects?limit=200')).body.items
  const project = projects.find((p) => p.code === 'GS2026-003')
  const type = (await apiGet(office, '/api/v1/procedure-types')).body.find((t) => t.code === 'P03') // 建设用地规划许可证, 县自然资源局
  await ok(office, 'POST', `/api/v1/projects/${project.id}/procedures`, { type_id: type.id, service_unit_id: type.default_service_unit_id, status: 'pending' })

  const existing = await call(office, 'GET', `/api/v1/service-ratings?period=year&at=${year}`)
  if (existing.status === 404) {
    await office.waitForSelector('[data-test=round-missing]')
    await office.click('[data-test=round-open]')
  }
  await office.waitForSelector('[data-test=round-status]')
  assert.match(await office.textContent('[data-test=round-status]'), /评价进行中/)

  const unit = await newPage(browser, desk)
  await login(unit, 'gs.unit', { to: '/assessments?tab=ratings' })
  const row = '[data-test=rateables] .el-table__row:has-text("县自然资源局")'
  await unit.waitForSelector(row)
  await unit.fill(`${row} [data-test=rate-score] input`, '88')
  await unit.keyboard.press('Tab')
  await unit.fill(`${row} [data-test=rate-comment]`, `办理及时（${run}）`)
  await unit.click(`${row} [data-test=rate-save]`)
  await unit.waitForSelector('.el-message--success')
  await unit.waitForSelector(`${row} td:nth-child(4):has-text("88")`)
  await quiet(unit)
  await shot(unit, 'asm-rate')
  assert.deepEqual(unit.errors, [])
  await unit.context().close()

  await office.reload()
  const summary = '[data-test=round-summary] .el-table__row:has-text("县自然资源局")'
  await office.waitForSelector(summary)
  const cells = await office.$$eval(`${summary} td`, (tds) => tds.map((td) => td.textContent.trim()))
  assert.equal(cells[1], '1')
  assert.equal(cells[2], '88.00')
  assert.doesNotMatch(await office.textContent('[data-test=round-summary]'), /紫水街道/, 'never who rated')
  await office.click('[data-test=round-close]')
  await confirmBox(office)
  await office.waitForFunction(() => document.querySelector('[data-test=round-status]')?.textContent.includes('评价已结束'))
  await quiet(office)
  await shot(office, 'asm-round-summary')
  assert.deepEqual(office.errors, [])
  await office.context().close()
})

let versionId = ''
const reason = `浏览器测试：瞒报停工情况（${run}）`

test('the office computes the year and adjusts a unit’s component with a reason; the leading group approves', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/assessments' })
  await office.waitForSelector('[data-test=asm-versions]')
  const before = (await apiGet(office, `/api/v1/assessments?period=year&at=${year}`)).body
  await office.click('[data-test=asm-compute]')
  if (before[0]?.status === 'approved') {
    // A second run on one server: the approved version is corrected with a reason.
    await office.fill('.el-message-box__input input', `浏览器测试重算（${run}）`)
    await confirmBox(office)
  }
  await office.waitForSelector('.el-message--success')
  await office.waitForSelector('[data-test=asm-versions] [data-test=asm-status]:has-text("已计算")')
  await office.waitForSelector('[data-test=asm-pool][data-pool=townships]')
  const pools = await office.$$eval('[data-test=asm-pool] h3', (hs) => hs.map((h) => h.textContent.trim()))
  assert.ok(pools.includes('乡镇（街道）'), pools.join())
  versionId = (await apiGet(office, `/api/v1/assessments?period=year&at=${year}`)).body[0].id
  // The worker computed it, for the request the button made.
  const runs = (await apiGet(office, `/api/v1/assessment-runs?period=year&at=${year}`)).body
  assert.equal(runs[0].status, 'done')
  assert.equal(runs[0].assessment_id, versionId)

  // Adjust 紫水街道's supervision (it always applies) from its row.
  // The unit's own row (a tie note on another row may name it too).
  const row = '[data-test=asm-pool][data-pool=townships] .el-table__row:has(.cell:text-is("紫水街道"))'
  await office.click(`${row} [data-test=asm-adjust-row]`)
  await office.waitForSelector('[data-test=adj-form]')
  await pickOption(office, '[data-test=adj-component]', '督导问政')
  await office.fill('[data-test=adj-points]', '-2')
  await office.fill('[data-test=adj-reason]', reason)
  await office.click('[data-test=adj-save]')
  await office.waitForSelector(`${row} [data-test=asm-adjustment]:has-text("${run}")`)
  assert.match(await office.textContent(`${row} [data-test=asm-adjustment]`), /督导问政 -2分/)
  // The expanded row: each component with what it lost points for and the adjustment.
  await office.click(`${row} .el-table__expand-icon`)
  await office.waitForSelector(`[data-test=asm-components] td:has-text("${run}")`)
  const comps = await office.$$eval('[data-test=asm-components] .el-table__body .el-table__row', (rows) => rows.map((r) => r.querySelector('td').textContent.trim()))
  // The letters weigh 0 by default: the result lists the weighed components.
  assert.deepEqual(comps.slice(0, 4), ['投资目标完成', '节点计划', '观摩评比', '督导问政'])
  assert.equal(await office.isVisible('[data-test=asm-approve]'), false, 'the office does not approve')
  await quiet(office)
  await shot(office, 'asm-computed-adjusted')
  assert.deepEqual(office.errors, [])
  await office.context().close()

  const leader = await newPage(browser, desk)
  await login(leader, 'gs.leader', { to: '/assessments' })
  await leader.waitForSelector('[data-test=asm-approve]')
  assert.equal(await leader.isVisible('[data-test=asm-compute]'), false)
  await leader.click('[data-test=asm-approve]')
  await confirmBox(leader)
  await leader.waitForSelector('[data-test=asm-versions] [data-test=asm-status]:has-text("已审定")')
  assert.equal(await leader.isVisible('[data-test=asm-error]'), false)
  // The result stays as adjusted: the reason on 紫水街道's row.
  await leader.waitForSelector(`${row} [data-test=asm-adjustment]:has-text("${run}")`)
  await quiet(leader)
  await shot(leader, 'asm-approved')
  assert.deepEqual(leader.errors, [])
  await leader.context().close()
})

test('the office publishes the notice and opens its files', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/assessments' })
  await office.waitForSelector('[data-test=asm-notice]')
  const draft = await office.getAttribute('[data-test=asm-draft-html]', 'href')
  const d = await call(office, 'GET', draft)
  assert.equal(d.status, 200)
  assert.match(d.body, /草稿/)
  const hadNotice = (await apiGet(office, `/api/v1/assessments/${versionId}/notice`)).body.length > 0
  await office.click('[data-test=asm-publish]')
  if (hadNotice) await office.fill('.el-message-box__input input', `浏览器测试重新印发（${run}）`)
  await confirmBox(office)
  await office.waitForSelector('[data-test=asm-notices] [data-test=asm-notice-html]')
  const html = await call(office, 'GET', await office.getAttribute('[data-test=asm-notice-html]', 'href'))
  assert.equal(html.status, 200)
  assert.match(html.body, /紫水街道/)
  const pdf = await office.request.get(BASE + (await office.getAttribute('[data-test=asm-notice-pdf]', 'href')))
  assert.equal(pdf.status(), 200)
  assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF')
  const [download] = await Promise.all([office.waitForEvent('download'), office.click('[data-test=asm-notice-xlsx]')])
  assert.match(download.suggestedFilename(), /\.xlsx$/)
  await quiet(office)
  await shot(office, 'asm-notice')
  // The published page as issued.
  const page = await office.context().newPage()
  await page.goto(BASE + (await office.getAttribute('[data-test=asm-notice-html]', 'href')))
  await shot(page, 'asm-notice-page')
  assert.deepEqual(office.errors, [])
  await office.context().close()
})

test('紫水街道 sees its own breakdown only', async () => {
  const unit = await newPage(browser, desk)
  await login(unit, 'gs.unit', { to: '/assessments' })
  await unit.waitForSelector('[data-test=asm-mine]')
  assert.match(await unit.textContent('[data-test=asm-mine]'), /紫水街道/)
  assert.match(await unit.textContent('[data-test=asm-mine-rank]'), /乡镇（街道）第\d+名|不参与排名/)
  assert.equal(await unit.$('[data-test=asm-ranking]'), null, 'no ranking table')
  assert.equal(await unit.$('[data-test=asm-approve]'), null)
  const list = (await apiGet(unit, `/api/v1/assessments?period=year&at=${year}`)).body
  assert.ok(list.length > 0)
  assert.deepEqual(list[0].result.units.map((u) => u.name), ['紫水街道'])
  assert.ok(list[0].result.outcomes.every((o) => o.unit === '紫水街道'))
  await shot(unit, 'asm-unit-breakdown')
  assert.deepEqual(unit.errors, [])
  await unit.context().close()
})

test('the office records an accountability decision', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/assessments?tab=accountability' })
  await office.waitForSelector('[data-test=acc-proposals]')
  let rows = await office.$$('[data-test=acc-proposals] .el-table__body .el-table__row')
  if (rows.length === 0) {
    // No proposal up to last month: try each month of the year for one.
    for (let m = 12; m >= 1 && rows.length === 0; m--) {
      await office.click('[data-test=acc-month]')
      await office.click(`.el-select-dropdown__item:visible:has-text("截至${m}月")`)
      await office.waitForTimeout(400)
      rows = await office.$$('[data-test=acc-proposals] .el-table__body .el-table__row')
    }
  }
  assert.ok(rows.length > 0, 'the demo proposes at least one unit in some month')
  const first = '[data-test=acc-proposals] .el-table__body .el-table__row >> nth=0'
  await office.click(`${first} >> [data-test=acc-decide]`)
  await office.waitForSelector('[data-test=dec-form]')
  await office.click('[data-test=dec-refer] .el-radio:has-text("不移交")')
  await office.fill('[data-test=dec-reason]', `已约谈整改，暂不移交（${run}）`)
  await office.click('[data-test=dec-save]')
  await office.waitForSelector(`[data-test=acc-proposals] td:has-text("${run}")`)
  assert.match(await office.textContent(`${first} >> [data-test=acc-decision]`), /不移交/)
  await quiet(office)
  await shot(office, 'asm-accountability')
  assert.deepEqual(office.errors, [])
  await office.context().close()
})

test('a person’s record opens from the people page and its workbook downloads; a unit user opens their own', async () => {
  const office = await newPage(browser, desk)
  await login(office, 'gs.office', { to: '/people' })
  await office.click('[data-test=people-table] .el-table__row:has-text("罗军") [data-test=person-record]')
  await office.waitForURL(/\/people\/[0-9a-f-]{36}\/record$/)
  await office.waitForSelector('[data-test=record-seats]')
  assert.match(await office.textContent('h1'), /个人履职记录 · 罗军/)
  const [download] = await Promise.all([office.waitForEvent('download'), office.click('[data-test=record-xlsx]')])
  assert.match(download.suggestedFilename(), /罗军.*履职记录\.xlsx$/)
  await shot(office, 'asm-person-record')
  assert.deepEqual(office.errors, [])
  await office.context().close()

  const unit = await newPage(browser, desk)
  await login(unit, 'gs.unit', { to: '/people' })
  await unit.waitForSelector('[data-test=people-table] .el-table__row')
  assert.equal(await unit.$$eval('[data-test=person-record]', (as) => as.length), 1, 'only their own')
  await unit.click('[data-test=person-record]')
  await unit.waitForSelector('[data-test=record-seats]')
  assert.match(await unit.textContent('h1'), /罗军/)
  assert.deepEqual(unit.errors, [])
  await unit.context().close()
})
