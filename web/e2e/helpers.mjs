// Shared set-up for the browser tests: Debian's Chromium driven by
// playwright-core against the tuijin server that scripts/e2e.sh started.
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BASE = process.env.TUIJIN_E2E_BASE ?? 'http://127.0.0.1:18080'
export const PASSWORD = process.env.TUIJIN_DEMO_PASSWORD ?? 'Tuijin@2026'
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts')
mkdirSync(ARTIFACTS, { recursive: true })

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

/** A new browser context (its own cookies) with a page that records errors. */
export async function newPage(browser, viewport = { width: 1366, height: 768 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.errors = []
  page.on('pageerror', (e) => page.errors.push(e.message))
  page.on('console', (m) => {
    // API answers of 4xx are handled by the console (and some are the point
    // of a test); script errors and server errors are defects.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.errors.push(m.text())
  })
  return page
}

export async function login(page, username, { to = '/' } = {}) {
  await page.goto(BASE + to)
  await page.waitForSelector('[data-test=username]')
  await page.fill('[data-test=username]', username)
  await page.fill('[data-test=password]', PASSWORD)
  await page.click('[data-test=login-submit]')
  await page.waitForSelector('[data-test=current-county]')
}

export async function menuKeys(page) {
  return page.$$eval('.el-aside [data-menu]', (els) => els.map((e) => e.getAttribute('data-menu')))
}

export async function shot(page, name) {
  await page.waitForTimeout(300) // let charts and transitions settle before the picture
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true })
}

/** Calls the API with the page's session cookie. */
export async function apiGet(page, path) {
  const r = await page.request.get(BASE + path)
  return { status: r.status(), body: await r.json() }
}
