import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { BASE, ARTIFACTS, launch, newPage, login, shot, apiGet } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const phone = { width: 390, height: 844 }

test('the office closes a week and works the TV-questioning register; field roles cannot open it', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/supervision?tab=escalations' })
  // No reports in the demo's March: every project stalls and escalates.
  const closed = await page.request.post(BASE + '/api/v1/supervision/week-close', { data: { week: '2026-03-09' } })
  assert.equal(closed.status(), 200)
  await page.reload()
  const rows = page.locator('[data-test=register] .el-table__body tr')
  await rows.first().waitFor()
  assert.ok((await rows.count()) >= 2, 'register rows')
  // 十里镇's project has no responsible person: its level-1 entry names the
  // town's main head, who has no account — the office is told to call.
  const shili = page.locator('[data-test=register] .el-table__body tr:has-text("十里镇高标准农田建设项目"):has-text("责任单位主要负责人")').first()
  await shili.waitFor()
  const shiliText = await shili.textContent()
  assert.ok(shiliText.includes('张建华') && shiliText.includes('由单位主要负责人承担') && shiliText.includes('无账号，请线下通知'), shiliText)
  await page.locator('[data-test=register] .el-table__body tr:has-text("分包县级领导")').first().click()
  const drawer = page.locator('[data-test=escalation-drawer]')
  await drawer.locator('.el-table__body tr').first().waitFor()
  assert.equal(await drawer.locator('.el-table__body tr').count(), 3, 'three weeks of evidence')
  // Waiving needs a reason.
  await drawer.locator('[data-test=esc-waive]').click()
  await drawer.locator('.el-form-item__error').first().waitFor()
  assert.match(await drawer.locator('.el-form-item__error').first().textContent(), /理由/)
  await drawer.locator('.el-date-editor input').fill('2026-03-20')
  await drawer.locator('.el-date-editor input').press('Enter')
  await drawer.locator('[data-test=esc-note]').fill('县电视台《重点项目问政》栏目')
  await drawer.locator('[data-test=esc-schedule]').click()
  await page.waitForSelector('[data-test=esc-done]')
  await page.waitForFunction(() => document.querySelector('[data-test=escalation-drawer]')?.textContent?.includes('已安排'))
  await shot(page, 'escalation-register')
  assert.deepEqual(page.errors, [])
  await page.context().close()

  const field = await newPage(browser, phone)
  await login(field, 'gs.taskforce', { to: '/supervision' })
  await field.waitForURL(/\/403/)
  assert.equal((await field.request.get(BASE + '/api/v1/escalations')).status(), 403)
  await field.context().close()
})

test('the office previews and issues the weekly bulletin; a correction needs a reason; a unit user opens the issued files', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/bulletins' })
  await page.waitForSelector('[data-test=bulletin-preview]')
  // Not closed yet: issuing is refused until the week is closed.
  assert.ok(await page.isVisible('[data-test=not-closed]'))
  await page.click('[data-test=issue]')
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForSelector('[data-test=issue-error]')
  assert.match(await page.textContent('[data-test=issue-error]'), /结算/)
  const week = await page.locator('.toolbar .el-date-editor input').inputValue()
  assert.equal((await page.request.post(BASE + '/api/v1/supervision/week-close', { data: { week } })).status(), 200)
  await page.reload()
  await page.waitForSelector('[data-test=bulletin-preview]')
  assert.equal(await page.isVisible('[data-test=not-closed]'), false)
  assert.match(await page.textContent('[data-test=bulletin-preview]'), /光山县重点项目建设周通报/)
  await page.click('[data-test=issue]')
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForFunction(() => document.querySelector('[data-test=bulletin-versions]')?.textContent?.includes('第1版'))
  // A second issue without a reason is refused.
  await page.click('[data-test=issue]')
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForSelector('[data-test=issue-error]')
  assert.match(await page.textContent('[data-test=issue-error]'), /理由/)
  await page.fill('[data-test=correction-reason]', '更正个别项目投资数据')
  await page.click('[data-test=issue]')
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForFunction(() => document.querySelector('[data-test=bulletin-versions]')?.textContent?.includes('第2版'))
  await shot(page, 'bulletin-issue')
  const preview = await page.request.get(BASE + (await page.getAttribute('[data-test=preview-page]', 'href')))
  assert.equal(preview.status(), 200)
  assert.match(await preview.text(), /草稿（未签发）/)
  // A month-end bulletin: October, once its last week (19–25 October) is closed.
  assert.equal((await page.request.post(BASE + '/api/v1/supervision/week-close', { data: { week: '2026-10-19' } })).status(), 200)
  await page.click('[data-test=bulletin-period]')
  await page.click('.el-select-dropdown__item:visible:has-text("月报")')
  await page.locator('.toolbar .el-date-editor input').first().fill('2026-10')
  await page.locator('.toolbar .el-date-editor input').first().press('Enter')
  await page.waitForFunction(() => document.querySelector('[data-test=bulletin-preview]')?.textContent?.includes('2026年1-10月'))
  const monthText = await page.textContent('[data-test=bulletin-preview]')
  assert.ok(monthText.includes('时序进度 83.3%') && monthText.includes('本月完成') && monthText.includes('进展情况通报'), monthText)
  await page.click('[data-test=issue]')
  await page.click('.el-message-box__btns .el-button--primary')
  await page.waitForFunction(() => document.querySelector('[data-test=bulletin-versions]')?.textContent?.includes('2026年1-10月'))
  const row = page.locator('[data-test=bulletin-versions] .el-table__body tr:has-text("2026年1-10月")').first()
  assert.match(await row.textContent(), /第1期/)
  await shot(page, 'bulletin-month-issue')
  const pdfHref = await row.locator('a:has-text("PDF")').getAttribute('href')
  const monthPDF = await page.request.get(BASE + pdfHref)
  assert.equal(monthPDF.status(), 200)
  assert.match(monthPDF.headers()['content-disposition'], /%E7%AC%AC1%E6%9C%9F/) // 第1期 in the file name
  const file = join(ARTIFACTS, 'bulletin-october.pdf')
  writeFileSync(file, await monthPDF.body())
  execFileSync('pdftoppm', ['-r', '70', '-png', file, join(ARTIFACTS, 'bulletin-october')])
  assert.deepEqual(page.errors, [])
  await page.context().close()

  const unit = await newPage(browser)
  await login(unit, 'gs.unit', { to: '/bulletins' })
  await unit.waitForFunction(() => document.querySelector('[data-test=bulletin-versions]')?.textContent?.includes('第2版'))
  assert.equal(await unit.locator('[data-test=bulletin-preview]').count(), 0, 'no draft preview for unit users')
  const links = await unit.locator('[data-test=bulletin-versions] .el-table__body tr:has-text("第2版")').first().locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
  const html = await unit.request.get(BASE + links.find((l) => l.endsWith('/html')))
  assert.equal(html.status(), 200)
  assert.match(await html.text(), /第2版/)
  const pdf = await unit.request.get(BASE + links.find((l) => l.endsWith('/pdf')))
  assert.equal(pdf.headers()['content-type'], 'application/pdf')
  await unit.goto(BASE + links.find((l) => l.endsWith('/html')))
  await shot(unit, 'bulletin-page')
  await unit.context().close()
})

test('the office decides again on a closed week: later weeks are closed again, escalations withdrawn, issued bulletins flagged', async () => {
  // The helper reports the week of 5 January late, with too little to count.
  const helper = await newPage(browser, phone)
  await login(helper, 'gs.helper')
  const mine = await apiGet(helper, '/api/v1/projects?limit=200')
  const project = mine.body.items.find((p) => p.code === 'GS2026-003')
  const week = '2026-01-05'
  const jpegs = await helper.evaluate(() => [1, 2, 3].map((i) => {
    const c = document.createElement('canvas')
    c.width = 480
    c.height = 360
    const g = c.getContext('2d')
    g.fillStyle = `rgb(90, ${i * 50}, 120)`
    g.fillRect(0, 0, 480, 360)
    return c.toDataURL('image/jpeg', 0.9).split(',')[1]
  }))
  for (const b of jpegs) {
    const r = await helper.request.post(`${BASE}/api/v1/projects/${project.id}/photos?week=${week}`, { headers: { 'Content-Type': 'image/jpeg' }, data: Buffer.from(b, 'base64') })
    assert.equal(r.status(), 201, await r.text())
  }
  const path = `/api/v1/projects/${project.id}/reports/${week}`
  assert.equal((await helper.request.put(BASE + path, { data: { image_progress: '完成场地平整', image_percent: 5, investment_yuan: 50000 } })).status(), 200)
  assert.equal((await helper.request.post(BASE + path + '/submit')).status(), 200)
  await helper.context().close()

  const page = await newPage(browser)
  await login(page, 'gs.office', { to: `/projects/${project.id}/report/${week}` })
  const before = await apiGet(page, `/api/v1/escalations?project_id=${project.id}&status=pending`)
  assert.ok(before.body.items.some((e) => e.raised_week === week), 'an escalation raised in the week')
  await page.waitForSelector('[data-test=override]')
  assert.match(await page.textContent('[data-test=report-progress]'), /无实质进度/)
  await page.click('[data-test=override] label:has-text("有实质进度")')
  await page.fill('[data-test=override-reason]', '督导组1月8日现场核实：已完成场地平整并进场施工')
  await page.click('[data-test=override-save]')
  await page.waitForSelector('[data-test=override-correction]')
  const said = await page.textContent('[data-test=override-correction]')
  assert.ok(said.includes('2026-01-05') && /撤销电视问政[1-9]/.test(said) && /[1-9]期已签发通报标记为需更正/.test(said), said)
  assert.match(await page.textContent('[data-test=report-progress]'), /有实质进度/)
  await page.locator('[data-test=override-correction]').scrollIntoViewIfNeeded()
  await shot(page, 'override-correction')

  // The register keeps the withdrawn escalation with its reason.
  await page.goto(BASE + '/supervision?tab=escalations')
  await page.click('[data-test=esc-status]')
  await page.click('.el-select-dropdown__item:visible:has-text("已撤销")')
  const withdrawn = page.locator('[data-test=register] .el-table__body tr:has-text("紫水街道老旧小区改造项目")').first()
  await withdrawn.waitFor()
  await withdrawn.click()
  await page.waitForSelector('[data-test=withdrawn]')
  assert.match(await page.textContent('[data-test=withdrawn]'), /督导组1月8日现场核实/)
  await shot(page, 'escalation-withdrawn')

  // The bulletins issued over those weeks say they need a correction.
  await page.goto(BASE + '/bulletins')
  await page.waitForSelector('[data-test=needs-correction]')
  await shot(page, 'bulletin-needs-correction')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('on a phone, an inspector records a joint inspection of their group with a finding', async () => {
  const office = await newPage(browser)
  await login(office, 'gs.office')
  const year = new Date().getFullYear()
  assert.equal((await office.request.post(`${BASE}/api/v1/inspections/plan/${year}/auto`, { data: {} })).status(), 200)
  await office.goto(BASE + '/supervision?tab=inspections')
  await office.click('[data-test=plan-view]')
  const hundred = office.locator('[data-test=inspection-plan] .el-table__body tr:has-text("官渡河")')
  await hundred.waitFor()
  assert.match(await hundred.locator('.el-select').textContent(), /第六督导组/)
  await shot(office, 'inspection-plan')
  assert.deepEqual(office.errors, [])
  await office.context().close()

  const page = await newPage(browser, phone)
  await login(page, 'gs.inspector', { to: '/supervision' })
  const card = page.locator('[data-test=inspection-list] .card:not(.done)').first()
  await card.waitFor()
  await card.locator('button').click()
  await page.waitForSelector('[data-test=inspection-form]')
  await page.fill('[data-test=findings]', '主体施工进度滞后，现场作业人员不足')
  await page.click('button:has-text("增加问题")')
  await page.fill('.problem-row input[placeholder="问题描述"]', '施工人员不足，需责任单位协调')
  await page.fill('.problem-row .el-date-editor input', new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10))
  await page.keyboard.press('Enter')
  await page.click('[data-test=save-inspection]')
  await page.waitForSelector('[data-test=inspection-list] .card.done')
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  assert.ok(scroll <= width, `inspection page is ${scroll}px wide`)
  await shot(page, 'phone-inspection')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})
