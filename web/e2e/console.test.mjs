import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, login, menuKeys, shot, apiGet } from './helpers.mjs'

let browser
before(async () => { browser = await launch() })
after(async () => { await browser?.close() })

const expectedMenus = {
  'gs.office': { role: '县重点项目办', menu: ['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'pipeline', 'letters', 'units', 'people', 'groups', 'accounts', 'settings', 'audit'] },
  'gs.leader': { role: '领导小组成员', menu: ['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'pipeline', 'letters', 'units', 'people', 'groups', 'settings', 'audit'] },
  'gs.inspector': { role: '督导组成员', menu: ['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'letters', 'units', 'people', 'groups'] },
  'gs.unit': { role: '单位用户', menu: ['home', 'projects', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'letters', 'units', 'people', 'groups'] },
  'gs.taskforce': { role: '专班成员', menu: ['home', 'projects', 'meetings', 'actions', 'bulletins', 'observation', 'batch', 'units', 'people', 'groups'] },
  'ls.office': { role: '县重点项目办', menu: ['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'pipeline', 'letters', 'units', 'people', 'groups', 'accounts', 'settings', 'audit'] },
  'xinyang.city': { role: '市重点项目办', menu: ['home', 'projects', 'reports', 'supervision', 'meetings', 'actions', 'bulletins', 'observation', 'review', 'batch', 'assessment', 'pipeline', 'letters', 'units', 'people', 'groups', 'settings', 'audit'] },
  admin: { role: '平台管理员', menu: ['home', 'projects', 'reports', 'supervision', 'pipeline', 'letters', 'units', 'people', 'groups', 'accounts', 'settings', 'audit'] },
}

test('each demo role logs in and sees its menu and nothing else', async () => {
  for (const [user, want] of Object.entries(expectedMenus)) {
    const page = await newPage(browser)
    await login(page, user)
    assert.deepEqual(await menuKeys(page), want.menu, user)
    assert.equal((await page.textContent('[data-test=current-role]')).trim(), want.role, user)
    const county = (await page.textContent('[data-test=current-county]')).trim()
    assert.ok(county === '光山县' || county === '罗山县', `${user}: county ${county}`)
    await page.waitForSelector('[data-test=chart] canvas')
    await shot(page, `home-${user}`)
    assert.deepEqual(page.errors, [], user)
    await page.context().close()
  }
})

test('a field role may not open desk pages', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.taskforce')
  await page.goto(BASE + '/accounts')
  await page.waitForSelector('[data-test=forbidden]')
  await page.context().close()
})

test('the office changes a setting; it persists after reload; an invalid value is shown at its field and not saved', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/settings' })
  await page.waitForSelector('[data-test=save-settings]')
  const before = await apiGet(page, '/api/v1/settings/versions')
  assert.equal(before.status, 200)

  const time = page.locator('[data-field=report_deadline_time] input')
  await time.fill('25:00')
  await page.click('[data-test=save-settings]')
  const fieldError = page.locator('[data-field=report_deadline_time] .el-form-item__error')
  await fieldError.waitFor()
  assert.match(await fieldError.textContent(), /HH:MM/)
  assert.equal(await time.inputValue(), '25:00', 'the typed value stays in the form')
  const unchanged = await apiGet(page, '/api/v1/settings/versions')
  assert.equal(unchanged.body.length, before.body.length, 'nothing saved')
  await shot(page, 'settings-invalid')

  await time.fill('11:30')
  const radius = page.locator('[data-field=visit_radius_meters] input')
  await radius.fill('800')
  await radius.blur()
  await page.click('[data-test=save-settings]')
  await page.waitForSelector('.el-message--success')
  await page.reload()
  await page.waitForSelector('[data-test=save-settings]')
  assert.equal(await page.locator('[data-field=visit_radius_meters] input').inputValue(), '800')
  assert.equal(await page.locator('[data-field=report_deadline_time] input').inputValue(), '11:30')
  const afterSave = await apiGet(page, '/api/v1/settings/versions')
  assert.equal(afterSave.body.length, before.body.length + 1)
  await shot(page, 'settings')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('a Luoshan user never sees Guangshan units, even by typing their URL', async () => {
  const gs = await newPage(browser)
  await login(gs, 'gs.office')
  const units = await apiGet(gs, '/api/v1/units?limit=200')
  const gsUnit = units.body.items.find((u) => u.name === '紫水街道')
  assert.ok(gsUnit)
  await gs.context().close()

  const ls = await newPage(browser)
  await login(ls, 'ls.office', { to: '/units' })
  await ls.waitForSelector('[data-test=units-table] .el-table__row')
  const text = await ls.textContent('[data-test=units-table]')
  assert.ok(text.includes('龙山街道'), 'Luoshan sees its own units')
  assert.ok(!text.includes('紫水街道') && !text.includes('弦山街道'), 'Luoshan sees no Guangshan unit')
  await ls.goto(BASE + '/units/' + gsUnit.id)
  await ls.waitForSelector('[data-test=not-found]')
  assert.ok(!(await ls.content()).includes('紫水街道'))
  await shot(ls, 'cross-county-not-found')
  await ls.context().close()
})

test('the field home fits a phone without horizontal scrolling', async () => {
  const page = await newPage(browser, { width: 390, height: 844 })
  await login(page, 'gs.taskforce')
  await page.waitForSelector('[data-test=field-home]')
  await page.waitForSelector('[data-test=chart] canvas')
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  assert.ok(scroll <= width, `page is ${scroll}px wide in a ${width}px viewport`)
  await shot(page, 'phone-field-home')
  await page.click('[data-test=burger]')
  await page.waitForSelector('.el-drawer [data-menu=units]')
  await page.click('.el-drawer [data-menu=units]')
  await page.waitForURL('**/units')
  await page.waitForSelector('[data-test=units-table] .el-table__row')
  const wide = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(wide <= 390, `units page is ${wide}px wide on a phone`)
  await shot(page, 'phone-units')
  assert.deepEqual(page.errors, [])
  await page.context().close()
})

test('an ended session sends the user to login and back to the page', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.leader', { to: '/people' })
  await page.waitForSelector('[data-test=people-table] .el-table__row')
  await page.context().clearCookies()
  await page.click('.el-aside [data-menu=groups]')
  await page.waitForURL(/\/login\?redirect=(%2F|\/)groups/)
  await page.waitForSelector('[data-test=login-error]')
  await page.fill('[data-test=username]', 'gs.leader')
  await page.fill('[data-test=password]', process.env.TUIJIN_DEMO_PASSWORD ?? 'Tuijin@2026')
  await page.click('[data-test=login-submit]')
  await page.waitForURL(BASE + '/groups')
  await page.waitForSelector('[data-test=group-inspection-1]')
  await page.context().close()
})

test('a failed save keeps what was typed and says why', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office', { to: '/units' })
  await page.click('[data-test=add-unit]')
  await page.fill('[data-test=unit-code]', 'T01')
  await page.fill('[data-test=unit-name]', '新设功能区（测试）')
  await page.click('[data-test=save-unit]')
  const err = page.locator('[data-test=form-error]')
  await err.waitFor()
  assert.match(await err.textContent(), /已存在/)
  assert.equal(await page.locator('[data-test=unit-name]').inputValue(), '新设功能区（测试）')
  await shot(page, 'unit-duplicate-error')
  await page.context().close()
})

test('English can be chosen and is remembered', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office')
  await page.click('[data-test=locale]')
  await page.waitForSelector('.el-aside [data-menu=units]:has-text("Units")')
  await page.reload()
  await page.waitForSelector('.el-aside [data-menu=settings]:has-text("Settings")')
  await shot(page, 'home-english')
  await page.context().close()
})

test('screenshots of the main pages', async () => {
  const page = await newPage(browser)
  await login(page, 'gs.office')
  for (const [name, sel] of [['units', '[data-test=units-table] .el-table__row'], ['people', '[data-test=people-table] .el-table__row'],
    ['groups', '[data-test=group-inspection-6]'], ['accounts', '[data-test=accounts-table] .el-table__row'], ['audit', '[data-test=audit-table] .el-table__row']]) {
    await page.goto(BASE + '/' + name)
    await page.waitForSelector(sel)
    await shot(page, 'page-' + name)
  }
  assert.deepEqual(page.errors, [])
  await page.context().close()
  const anon = await newPage(browser)
  await anon.goto(BASE + '/login')
  await anon.waitForSelector('[data-test=username]')
  await shot(anon, 'page-login')
  await anon.context().close()
})
