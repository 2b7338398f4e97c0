import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, login, shot, apiGet } from './helpers.mjs'

// Meetings (issue 15): the calendar, the agenda builder (the office orders,
// the chair 王立新 — gs.leader, 县长 — picks and approves), the projector,
// attendance and decisions, the action tracker and the phone pages.
// The demo leaves the next 60 days' sittings on the calendar, none drafted.

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const phone = { width: 390, height: 844 }
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
const addDays = (d, n) => {
  const x = new Date(d + 'T00:00:00Z')
  x.setUTCDate(x.getUTCDate() + n)
  return x.toISOString().slice(0, 10)
}
const pastDay = addDays(today, -10) // W[1] is moved here and held
const pastDeadline = addDays(today, -5) // its decision is then 5 days overdue

// The planned sittings the tests use, found once: W[0] gets its agenda
// built, W[1] is moved into the past and held, W[2] is skipped; another
// series' first sitting is moved to today for signing in on a phone.
let W = []
let other
async function sittings(page) {
  const r = await apiGet(page, `/api/v1/meetings?from=${addDays(today, 1)}&to=${addDays(today, 60)}`)
  assert.equal(r.status, 200)
  const planned = r.body.filter((s) => s.status === 'planned')
  return { weekly: planned.filter((s) => s.kind === 'weekly'), others: planned.filter((s) => s.kind !== 'weekly') }
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

async function agendaTitles(page) {
  return page.$$eval('[data-test=agenda] [data-test=agenda-item]', (els) => els.map((e) => e.getAttribute('data-title')))
}

test('the office sees the month, skips and moves sittings with a reason, schedules now and gets a calendar feed', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/meetings' })
  await page.waitForSelector('[data-test=month-grid]')
  ;({ weekly: W, others: [other] } = await sittings(page))
  assert.ok(W.length >= 3 && other, `planned sittings: ${W.length} weekly`)
  // Every series has its colour on the grid; a weekly chip sits on its day.
  const month = async (day) => {
    await page.goto(BASE + '/meetings?month=' + day.slice(0, 7))
    await page.waitForSelector('[data-test=sitting-list] .el-table__row')
  }
  await month(W[0].day)
  const chip = page.locator(`[data-test=month-grid] td[data-date="${W[0].day}"] [data-test=grid-sitting][data-kind=weekly]`)
  await chip.waitFor()
  assert.match(await chip.textContent(), /周例会/)

  // Skip W[2]: a reason is required; it is then struck through with it.
  await month(W[2].day)
  const row = page.locator('[data-test=sitting-list] .el-table__row', { hasText: W[2].label })
  await row.locator('[data-test=skip-sitting]').click()
  await page.click('[data-test=change-save]')
  await page.waitForSelector('[data-test=change-form] .el-form-item__error')
  assert.match(await page.textContent('[data-test=change-form] .el-form-item__error'), /原因/)
  await page.fill('[data-test=change-reason-input]', '与全县防汛工作会议冲突')
  await page.click('[data-test=change-save]')
  await row.locator('[data-test=change-reason]').waitFor()
  assert.match(await row.textContent(), /已取消.*|取消原因：与全县防汛工作会议冲突/)
  assert.equal(await row.locator('.struck').count(), 1, 'a skipped sitting is struck through')
  assert.equal(await page.locator(`td[data-date="${W[2].day}"] .sitting.skipped`).count(), 1)
  await shot(page, 'meetings-calendar')

  // Move W[1] into the past (a sitting recorded after the fact): it is held there below.
  await month(W[1].day)
  const moved = page.locator('[data-test=sitting-list] .el-table__row', { hasText: W[1].label })
  await moved.locator('[data-test=change-sitting]').click()
  const day = await field(page, '[data-test=change-day]')
  await page.fill(day, pastDay)
  await page.press(day, 'Enter')
  await page.fill('[data-test=change-reason-input]', '补录：因县委常委会改在当日召开')
  await page.click('[data-test=change-save]')
  await page.waitForSelector('.el-message--success')
  const after = await apiGet(page, `/api/v1/meetings?from=${pastDay}&to=${pastDay}`)
  assert.ok(after.body.some((s) => s.id === W[1].id && s.change_reason.startsWith('补录')), 'moved into the past')

  // Schedule now: nothing new, the calendar already holds the next 60 days.
  await page.click('[data-test=schedule-now]')
  await page.waitForFunction(() => [...document.querySelectorAll('.el-message')].some((m) => m.textContent.includes('新增')))

  // The feed: the URL is shown once and answers a calendar app; revoked, it is gone.
  await page.click('[data-test=feed-new]')
  const url = await page.inputValue('[data-test=feed-url]')
  assert.match(url, /\/api\/v1\/calendar\/[0-9a-f-]+\/.+\.ics$/)
  const ics = await page.request.get(url.replace(/^https?:\/\/[^/]+/, BASE))
  assert.equal(ics.status(), 200)
  // Unfolded first: RFC 5545 folds long lines at 75 octets, even inside a word.
  assert.match((await ics.text()).replace(/\r\n[ \t]/g, ''), /BEGIN:VCALENDAR[\s\S]*周例会/)
  assert.match(await page.textContent('[data-test=feed-state]'), /已开通订阅/)
  await page.locator('[data-test=feed-card]').scrollIntoViewIfNeeded()
  await shot(page, 'meetings-feed')
  await page.click('[data-test=feed-revoke]')
  await page.waitForFunction(() => document.querySelector('[data-test=feed-state]')?.textContent?.includes('尚未开通'))
  assert.equal((await page.request.get(url.replace(/^https?:\/\/[^/]+/, BASE))).status(), 404)
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('the agenda builder: the office drafts, adds, reorders and sets aside; the chair picks a project and approves', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/meetings/' + W[0].id })
  await page.waitForSelector('[data-test=sitting-head]')
  assert.match(await page.textContent('[data-test=sitting-head]'), /王立新/)
  if (await page.isVisible('[data-test=prepare]')) {
    await page.click('[data-test=prepare]')
    await page.waitForFunction(() => [...document.querySelectorAll('.el-message')].some((m) => m.textContent.includes('已拟定议程')))
    await page.waitForSelector('[data-test=prepare]', { state: 'detached' })
  }
  // An item on a project (its card comes with it) and one without.
  await page.click('[data-test=add-item]')
  await page.click('[data-test=item-project]')
  await page.keyboard.type('紫水街道老旧')
  await page.click('.el-select-dropdown__item:visible:has-text("紫水街道老旧小区改造项目")')
  assert.equal(await page.inputValue('[data-test=item-title-input]'), '紫水街道老旧小区改造项目')
  await page.fill('[data-test=item-title-input]', '紫水街道老旧小区改造项目：3号楼北侧征迁')
  await page.click('[data-test=item-save]')
  await page.waitForSelector('[data-test=agenda-item][data-title="紫水街道老旧小区改造项目：3号楼北侧征迁"]')
  await page.click('[data-test=add-item]')
  await page.fill('[data-test=item-title-input]', '城区供水管网改造资金缺口')
  await page.click('[data-test=item-save]')
  await page.waitForSelector('[data-test=agenda-item][data-title="城区供水管网改造资金缺口"]')
  let titles = await agendaTitles(page)
  assert.equal(titles.at(-1), '城区供水管网改造资金缺口')
  assert.equal(titles.at(-2), '紫水街道老旧小区改造项目：3号楼北侧征迁')

  // Up: the last item moves before the one above it, and stays there on reload.
  await page.locator('[data-test=agenda-item]').last().locator('[data-test=item-up]').click()
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=agenda] [data-test=agenda-item]')].at(-1)?.getAttribute('data-title') !== '城区供水管网改造资金缺口')
  await page.reload()
  await page.waitForSelector('[data-test=agenda-item]')
  titles = await agendaTitles(page)
  assert.deepEqual(titles.slice(-2), ['城区供水管网改造资金缺口', '紫水街道老旧小区改造项目：3号楼北侧征迁'])
  // The water item goes to the top: up until it is first.
  for (let i = titles.indexOf('城区供水管网改造资金缺口'); i > 0; i--) {
    const before = (await agendaTitles(page)).join('|')
    await page.locator('[data-test=agenda-item][data-title="城区供水管网改造资金缺口"] [data-test=item-up]').click()
    await page.waitForFunction((b) => [...document.querySelectorAll('[data-test=agenda] [data-test=agenda-item]')].map((e) => e.getAttribute('data-title')).join('|') !== b, before)
  }
  assert.equal((await agendaTitles(page))[0], '城区供水管网改造资金缺口')
  // Dragging a row onto another puts it there.
  if ((await agendaTitles(page)).length >= 2) {
    const before = (await agendaTitles(page)).join('|')
    await page.locator('[data-test=agenda-item]').first().dragTo(page.locator('[data-test=agenda-item]').nth(1))
    await page.waitForFunction((b) => [...document.querySelectorAll('[data-test=agenda] [data-test=agenda-item]')].map((e) => e.getAttribute('data-title')).join('|') !== b, before)
    assert.equal((await agendaTitles(page))[1], '城区供水管网改造资金缺口')
  }

  // Set aside into the backlog, then put back (last).
  await page.locator('[data-test=agenda-item][data-title="城区供水管网改造资金缺口"] [data-test=set-aside]').click()
  await page.waitForSelector('[data-test=backlog-item][data-title="城区供水管网改造资金缺口"]')
  assert.ok(!(await agendaTitles(page)).includes('城区供水管网改造资金缺口'))
  await shot(page, 'agenda-backlog')
  await page.click('[data-test=backlog-item][data-title="城区供水管网改造资金缺口"] [data-test=put-back]')
  await page.waitForSelector('[data-test=agenda-item][data-title="城区供水管网改造资金缺口"]')
  assert.equal((await agendaTitles(page)).at(-1), '城区供水管网改造资金缺口')
  // The project's card is the evidence.
  const zishui = page.locator('[data-test=agenda-item][data-title="紫水街道老旧小区改造项目：3号楼北侧征迁"]')
  await zishui.locator('.el-collapse-item__header').click()
  await zishui.locator('[data-test=project-card]').waitFor()
  assert.match(await zishui.locator('[data-test=project-card]').textContent(), /紫水街道[\s\S]*周报/)
  // The office neither picks nor approves.
  assert.equal(await page.locator('[data-test=pick]').count(), 0)
  assert.equal(await page.locator('[data-test=approve]').count(), 0)
  await shot(page, 'agenda-builder-office')
  assert.deepEqual(page.errors, [])
  await page.context().close()

  const chair = await newPage(browser)
  await login(chair, 'gs.leader', { to: '/meetings/' + W[0].id })
  await chair.waitForSelector('[data-test=agenda-item]')
  const item = chair.locator('[data-test=agenda-item][data-title="紫水街道老旧小区改造项目：3号楼北侧征迁"]')
  await item.locator('[data-test=pick]').click()
  await item.locator('[data-test=picked]').waitFor()
  await shot(chair, 'agenda-chair-picks')
  await chair.click('[data-test=approve]')
  await confirmBox(chair)
  await chair.waitForFunction(() => document.querySelector('[data-test=approval-state]')?.textContent?.includes('已审定'))
  assert.equal(await chair.locator('[data-test=item-up]').count(), 0, 'an approved agenda stands')
  await shot(chair, 'agenda-approved-chair')
  assert.deepEqual(chair.errors, [])
  await chair.context().close()
})

test('the projector shows one item at a time in large type; the arrow keys move between items', async () => {
  const page = await newPage(browser, { width: 1280, height: 720 })
  await login(page, 'gs.office')
  await page.goto(BASE + '/meetings/' + W[0].id + '/projector')
  await page.waitForSelector('[data-test=projector-counter]')
  const n = (await apiGet(page, '/api/v1/meetings/' + W[0].id)).body.items.length
  assert.ok(n >= 2)
  assert.equal((await page.textContent('[data-test=projector-counter]')).trim(), `第 1 项 / 共 ${n} 项`)
  assert.equal(await page.locator('.el-aside, .el-header').count(), 0, 'no shell chrome')
  const sizes = await page.evaluate(() => ({
    body: parseFloat(getComputedStyle(document.querySelector('[data-test=projector]')).fontSize),
    title: parseFloat(getComputedStyle(document.querySelector('[data-test=projector-title]')).fontSize),
    color: getComputedStyle(document.querySelector('[data-test=projector-title]')).color,
    bg: getComputedStyle(document.querySelector('[data-test=projector]')).backgroundColor,
  }))
  assert.ok(sizes.body >= 28 && sizes.title >= 40, JSON.stringify(sizes))
  assert.equal(sizes.bg, 'rgb(255, 255, 255)')
  assert.equal(sizes.color, 'rgb(0, 0, 0)')
  await page.keyboard.press('ArrowRight')
  await page.waitForFunction(() => document.querySelector('[data-test=projector-counter]')?.textContent?.startsWith('第 2 项'))
  await page.keyboard.press('ArrowLeft')
  await page.waitForFunction(() => document.querySelector('[data-test=projector-counter]')?.textContent?.startsWith('第 1 项'))
  // To the picked project's card with the on-screen button.
  const items = (await apiGet(page, '/api/v1/meetings/' + W[0].id)).body.items
  const k = items.findIndex((i) => i.picked)
  for (let i = 0; i < k; i++) await page.click('[data-test=projector-next]')
  await page.waitForFunction((t) => document.querySelector('[data-test=projector-title]')?.textContent === t, items[k].title)
  assert.match(await page.textContent('[data-test=projector]'), /主持人选定集中研究[\s\S]*紫水街道/)
  await shot(page, 'projector')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('the sitting: the office expects and marks people, a participant signs in, the office records a decision and what was said', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/meetings/' + W[0].id + '?tab=attendance' })
  await page.waitForSelector('[data-test=attendance]')
  for (const name of ['罗军', '韩冰']) {
    if (await page.locator(`[data-test=attendance] .el-table__row:has-text("${name}")`).count()) continue
    await pickOption(page, '[data-test=participant-select]', name)
    await page.click('[data-test=add-participant]')
    await page.waitForSelector(`[data-test=attendance] .el-table__row:has-text("${name}")`)
  }
  const han = page.locator('[data-test=attendance] .el-table__row:has-text("韩冰")')
  await han.locator('[data-test=mark-absent]').click()
  await page.click('[data-test=mark-save]')
  await page.waitForSelector('[data-test=mark-form] .el-form-item__error') // a reason is required
  await page.fill('[data-test=mark-reason]', '在省住建厅汇报')
  await page.click('[data-test=mark-save]')
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=attendance] .el-table__row')].some((r) => r.textContent.includes('韩冰') && r.textContent.includes('请假') && r.textContent.includes('在省住建厅汇报')))

  const unit = await newPage(browser)
  await login(unit, 'gs.unit', { to: '/meetings/' + W[0].id + '?tab=attendance' })
  await unit.waitForSelector('[data-test=my-attendance]')
  assert.match(await unit.textContent('[data-test=my-attendance]'), /未签到/)
  assert.equal(await unit.locator('[data-test=mark-signed], [data-test=add-item], [data-test=approve]').count(), 0, 'a participant only reads and signs in')
  await unit.click('[data-test=sign-in]')
  await unit.waitForFunction(() => document.querySelector('[data-test=my-attendance]')?.textContent?.includes('已签到'))
  assert.deepEqual(unit.errors, [])
  await unit.context().close()

  await page.reload()
  await page.waitForSelector('[data-test=attendance]')
  assert.match(await page.locator('[data-test=attendance] .el-table__row:has-text("罗军")').textContent(), /已签到/)
  await shot(page, 'sitting-attendance')

  await page.click('.el-tabs__item:has-text("议定事项")')
  const card = page.locator('[data-test=decision-item][data-title="紫水街道老旧小区改造项目：3号楼北侧征迁"]')
  await card.locator('[data-test=add-decision]').click()
  await page.fill('[data-test=decision-text]', '紫水街道一周内完成3号楼北侧2户征迁协议签订')
  assert.match(await page.textContent('[data-test=decision-unit]'), /紫水街道/) // the item's unit, filled in
  await page.click('[data-test=decision-save]')
  await card.locator('[data-test=decision]').waitFor()
  assert.match(await card.locator('[data-test=decision]').textContent(), /一、紫水街道一周内完成3号楼北侧2户征迁协议签订[\s\S]*紫水街道[\s\S]*推进中/)
  await card.locator('[data-test=minutes]').fill('王立新县长要求紫水街道党工委书记罗军牵头，县住建局配合，一周内解决。')
  await card.locator('[data-test=save-minutes]').click()
  await page.waitForFunction(() => [...document.querySelectorAll('.el-message')].some((m) => m.textContent.includes('记录已保存')))
  const d = (await apiGet(page, '/api/v1/meetings/' + W[0].id)).body
  assert.match(d.items.find((i) => i.title.startsWith('紫水街道')).minutes, /一周内解决/)
  assert.equal(d.actions[0].item_id, d.items.find((i) => i.title.startsWith('紫水街道')).id)
  await shot(page, 'sitting-decisions')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('the action tracker: an overdue decision is marked; its owner reports it done, only the office closes it', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/meetings/' + W[1].id })
  await page.waitForSelector('[data-test=sitting-head]')
  await page.click('[data-test=hold]')
  await confirmBox(page)
  await page.waitForFunction(() => document.querySelector('[data-test=sitting-status]')?.textContent?.includes('已召开'))
  assert.match(await page.textContent('[data-test=sitting-label]'), /第\d+次重点项目建设周例会/)
  await page.click('.el-tabs__item:has-text("议定事项")')
  await page.click('[data-test=add-decision-general]')
  await page.fill('[data-test=decision-text]', '县水利局协调十里镇完成灌区渠系清淤')
  await pickOption(page, '[data-test=decision-unit]', '县水利局')
  await page.fill(await field(page, '[data-test=decision-deadline]'), pastDeadline)
  await page.press(await field(page, '[data-test=decision-deadline]'), 'Enter')
  await page.click('[data-test=decision-save]')
  await page.waitForSelector('[data-test=decision-general] [data-test=decision]')
  await page.click('[data-test=add-decision-general]')
  await page.fill('[data-test=decision-text]', '紫水街道完成老旧小区管网改造方案报批')
  await pickOption(page, '[data-test=decision-unit]', '紫水街道')
  await page.fill(await field(page, '[data-test=decision-deadline]'), pastDeadline)
  await page.press(await field(page, '[data-test=decision-deadline]'), 'Enter')
  await page.click('[data-test=decision-save]')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=decision-general] [data-test=decision]').length === 2)

  await page.goto(BASE + '/actions')
  await page.waitForSelector('[data-test=action-figures]')
  await page.click('[data-test=filter-overdue]')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=actions] .el-table__row').length === 2)
  const rows = page.locator('[data-test=actions] .el-table__row')
  for (let i = 0; i < 2; i++) {
    assert.match(await rows.nth(i).getAttribute('class'), /overdue-row/)
    assert.equal((await rows.nth(i).locator('[data-test=overdue-days]').textContent()).trim(), '5天')
  }
  const bg = await rows.first().locator('td').first().evaluate((td) => getComputedStyle(td).backgroundColor)
  assert.equal(bg, 'rgb(253, 236, 234)', 'overdue rows are highlighted')
  assert.equal(await page.locator('[data-test=report-done]').count(), 0, 'the office does not report its own way to done')
  await page.waitForFunction(() => Number(document.querySelector('[data-test=fig-overdue]')?.textContent) >= 2)
  await page.fill('[data-test=filter-q]', '渠系')
  await page.press('[data-test=filter-q]', 'Enter')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=actions] .el-table__row').length === 1)
  assert.match(await rows.first().textContent(), /县水利局/)
  await page.fill('[data-test=filter-q]', '')
  await page.press('[data-test=filter-q]', 'Enter')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=actions] .el-table__row').length === 2)
  await shot(page, 'actions-overdue')

  // 紫水街道 (gs.unit, 罗军) reports its decision done; it cannot close it.
  const unit = await newPage(browser)
  await login(unit, 'gs.unit', { to: '/actions' })
  const mine = unit.locator('[data-test=actions] .el-table__row:has-text("管网改造方案报批")')
  await mine.waitFor()
  assert.equal(await unit.locator('[data-test=actions] .el-table__row:has-text("渠系清淤")').count(), 0, 'another unit’s decision')
  assert.equal(await unit.locator('[data-test=action-figures]').count(), 0)
  await mine.locator('[data-test=report-done]').click()
  await unit.fill('[data-test=move-evidence]', '好')
  await unit.click('[data-test=move-save]')
  await unit.waitForSelector('[data-test=move-form] .el-form-item__error')
  await unit.fill('[data-test=move-evidence]', '方案已于11月28日经县住建局批复（光住建〔2026〕88号）')
  await unit.click('[data-test=move-save]')
  await unit.waitForFunction(() => [...document.querySelectorAll('[data-test=actions] .el-table__row')].some((r) => r.textContent.includes('管网改造方案报批') && r.textContent.includes('待核销')))
  assert.equal(await unit.locator('[data-test=close-action]').count(), 0)
  assert.deepEqual(unit.errors, [])
  await unit.context().close()

  // The office sends it back once (a reason is required), the unit reports
  // again, and the office closes it (办结销号).
  await page.reload()
  await page.waitForSelector('[data-test=actions] .el-table__row')
  await page.click('[data-test=filter-status]')
  await page.click('.el-select-dropdown__item:visible:has-text("待核销")')
  const reported = page.locator('[data-test=actions] .el-table__row:has-text("管网改造方案报批")')
  await reported.locator('[data-test=send-back]').click()
  await page.click('[data-test=move-save]')
  await page.waitForSelector('[data-test=move-form] .el-form-item__error')
  await page.fill('[data-test=move-evidence]', '请补充批复文件扫描件')
  await page.click('[data-test=move-save]')
  await page.waitForFunction(() => [...document.querySelectorAll('.el-message')].some((m) => m.textContent.includes('已退回')))
  const again = await newPage(browser)
  await login(again, 'gs.unit', { to: '/actions' })
  const back = again.locator('[data-test=actions] .el-table__row:has-text("管网改造方案报批")')
  await back.waitFor()
  const backText = await back.textContent()
  assert.ok(backText.includes('退回：请补充批复文件扫描件') && backText.includes('推进中'), backText)
  await back.locator('[data-test=report-done]').click()
  await again.fill('[data-test=move-evidence]', '已补充批复文件扫描件（光住建〔2026〕88号）')
  await again.click('[data-test=move-save]')
  await again.waitForFunction(() => [...document.querySelectorAll('[data-test=actions] .el-table__row')].some((r) => r.textContent.includes('管网改造方案报批') && r.textContent.includes('待核销')))
  await again.context().close()
  await page.reload()
  await page.waitForSelector('[data-test=actions]')
  await page.click('[data-test=filter-status]')
  await page.click('.el-select-dropdown__item:visible:has-text("待核销")')
  await reported.locator('[data-test=close-action]').click()
  await confirmBox(page)
  await page.waitForFunction(() => [...document.querySelectorAll('.el-message')].some((m) => m.textContent.includes('已办结销号')))
  const closed = await apiGet(page, '/api/v1/actions?status=closed&q=' + encodeURIComponent('管网改造方案报批'))
  assert.equal(closed.body.items.length, 1)
  // The figures reload after the success message: wait for them.
  await page.waitForFunction(() => Number(document.querySelector('[data-test=fig-done]')?.textContent) >= 1)
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('on a phone, the unit head signs in to today’s sitting and reports a decision done', async () => {
  // Set-up by the office: another series' sitting moved to today, drafted, 罗军 expected.
  const office = await newPage(browser)
  await login(office, 'gs.office')
  const r = await office.request.put(BASE + '/api/v1/meetings/' + other.id, { data: { day: today, time: '08:00', reason: '提前召开', version: other.version } })
  assert.equal(r.status(), 200, await r.text())
  assert.equal((await office.request.post(BASE + '/api/v1/meetings/' + other.id + '/prepare')).status(), 200)
  const people = (await apiGet(office, '/api/v1/people?limit=200')).body.items
  const luo = people.find((p) => p.name === '罗军')
  assert.equal((await office.request.post(BASE + '/api/v1/meetings/' + other.id + '/participants', { data: { person_id: luo.id } })).status(), 204)
  await office.context().close()

  const page = await newPage(browser, phone)
  await login(page, 'gs.unit')
  const sitting = page.locator('[data-test=today-sitting]')
  await sitting.waitFor()
  await sitting.locator('[data-test=phone-sign-in]').click()
  await sitting.locator('[data-test=phone-signed]').waitFor()
  assert.match(await sitting.textContent(), /已签到/)
  const action = page.locator('[data-test=my-action]:has-text("3号楼北侧2户征迁协议")')
  await action.waitFor()
  await action.locator('[data-test=phone-report]').click()
  await page.fill('[data-test=phone-evidence]', '2户征迁协议已于本周签订，协议扫描件已交县重点项目办')
  await page.click('[data-test=phone-report-save]')
  await action.locator('[data-test=phone-reported]').waitFor()
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  assert.ok(scroll <= width, `phone home is ${scroll}px wide`)
  await shot(page, 'phone-meetings')
  // The sitting itself on the phone: readable, nothing wider than the screen.
  await sitting.locator('a').click()
  await page.waitForSelector('[data-test=sitting-head]')
  await page.click('.el-tabs__item:has-text("参会签到")')
  await page.waitForSelector('[data-test=my-attendance]')
  assert.match(await page.textContent('[data-test=my-attendance]'), /已签到/)
  const w1 = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(w1 <= phone.width, `phone sitting is ${w1}px wide`)
  await shot(page, 'phone-sitting')
  // The sitting page on the phone: the calendar list, no grid.
  await page.goto(BASE + '/meetings')
  await page.waitForSelector('[data-test=sitting-list]')
  assert.equal(await page.locator('[data-test=month-grid]').count(), 0)
  const w2 = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(w2 <= phone.width, `phone calendar is ${w2}px wide`)
  await shot(page, 'phone-calendar')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})
