import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, newPage, login, shot } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const phone = { width: 390, height: 844 }

test('on a phone, the helper files this week’s report and checks in at the site; the responsible person confirms', async () => {
  const page = await newPage(browser, phone)
  await page.context().grantPermissions(['geolocation'])
  await page.context().setGeolocation({ latitude: 32.0072, longitude: 114.9021, accuracy: 12 })
  await login(page, 'gs.helper')
  const row = page.locator('[data-test="my-project-GS2026-003"]')
  await row.waitFor()
  await row.locator('[data-test=check-in]').click()
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-test=check-in-result]')?.textContent ?? ''
    return t !== '' && !t.includes('定位')
  })
  assert.match(await row.locator('[data-test=check-in-result]').textContent(), /到场已核验/)
  // A problem raised from the site reaches the office's problem list.
  await row.locator('[data-test=raise-problem]').click()
  await page.click('[data-test=problem-submit]')
  await page.waitForSelector('[data-test=problem-form] .el-form-item__error')
  await page.click('[data-test=problem-form] label:has-text("征迁")')
  await page.fill('[data-test=problem-text]', '3号楼北侧2户未签征迁协议，影响脚手架搭设')
  await page.click('[data-test=problem-submit]')
  await page.waitForSelector('.el-message--success')
  await shot(page, 'phone-raise-problem')
  await row.locator('button:has-text("填报周报")').click()
  await page.waitForSelector('[data-test=report-text]')
  await page.fill('[data-test=report-text]', '3号楼外立面改造完成，4号楼搭设脚手架')
  await page.fill('[data-test=report-percent] input', '35')
  await page.fill('[data-test=report-investment]', '28.5')
  await page.click('[data-test=report-submit]')
  await page.waitForSelector('[data-test=report-error]') // the county wants 3 photos first
  assert.match(await page.textContent('[data-test=report-error]'), /至少需要3张/)
  // Three photos from the "camera": JPEGs drawn by the browser itself.
  const shots = await page.evaluate(() => [1, 2, 3].map((i) => {
    const c = document.createElement('canvas')
    c.width = 640
    c.height = 480
    const g = c.getContext('2d')
    g.fillStyle = `rgb(${i * 60}, 120, 90)`
    g.fillRect(0, 0, 640, 480)
    g.fillStyle = '#fff'
    g.fillText('现场照片 ' + i, 40, 60)
    return c.toDataURL('image/jpeg', 0.9).split(',')[1]
  }))
  await page.setInputFiles('[data-test=photo-input]', shots.map((b, i) => ({ name: `现场${i + 1}.jpg`, mimeType: 'image/jpeg', buffer: Buffer.from(b, 'base64') })))
  await page.waitForFunction(() => document.querySelectorAll('[data-test=report-photos] img').length === 3)
  await page.waitForFunction(() => [...document.querySelectorAll('[data-test=report-photos] img')].every((i) => i.complete && i.naturalWidth > 0))
  await page.click('[data-test=report-submit]')
  await page.waitForFunction(() => document.querySelector('[data-test=report-status]')?.textContent?.includes('已提交'))
  assert.match(await page.textContent('[data-test=report-progress]'), /有实质进度/)
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  assert.ok(scroll <= width, `report page is ${scroll}px wide`)
  await shot(page, 'phone-weekly-report')
  const url = page.url()
  await page.context().close()

  const unit = await newPage(browser, phone)
  await login(unit, 'gs.unit')
  await unit.goto(url)
  await unit.click('[data-test=report-confirm]')
  await unit.waitForFunction(() => document.querySelector('[data-test=report-status]')?.textContent?.includes('已确认'))
  assert.deepEqual(unit.errors, [])
  await unit.context().close()
})

test('a check-in 2 km from the site is recorded but not verified', async () => {
  const page = await newPage(browser, phone)
  await page.context().grantPermissions(['geolocation'])
  await page.context().setGeolocation({ latitude: 32.0250, longitude: 114.9020, accuracy: 10 })
  await login(page, 'gs.helper')
  const row = page.locator('[data-test="my-project-GS2026-003"]')
  await row.locator('[data-test=check-in]').click()
  await row.locator('[data-test=check-in-result]').waitFor({ state: 'visible' })
  await page.waitForFunction(() => !document.querySelector('[data-test=check-in-result]')?.textContent?.includes('定位'))
  assert.match(await row.locator('[data-test=check-in-result]').textContent(), /未通过核验.*超出500米/)
  await shot(page, 'phone-check-in-far')
  await page.context().close()
})

test('the office finds the confirmed report in its queue and verifies it; the grid shows the week', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/reports' })
  await page.waitForSelector('[data-test=report-grid]')
  const row = page.locator('[data-test=report-grid] tr', { hasText: '紫水街道老旧小区改造项目' })
  const last = row.locator('td.cell').last()
  assert.match(await last.getAttribute('class'), /on_time|late/, 'this week’s cell shows the submitted report')
  await shot(page, 'reports-grid')
  await page.click('.el-tabs__item:has-text("待核实")')
  await page.click('[data-test=review-queue] .el-table__row:has-text("紫水街道老旧小区改造项目") button')
  await page.waitForSelector('[data-test=report-verify]')
  await page.click('[data-test=report-verify]')
  await page.waitForFunction(() => document.querySelector('[data-test=report-status]')?.textContent?.includes('已核实'))
  assert.deepEqual(page.errors, [])
  await page.context().close()
})
