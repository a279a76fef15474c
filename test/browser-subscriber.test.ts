// The status page in a real browser (Debian's Chromium through playwright-core):
// an event whose resource is missing becomes a dead letter; an admin sees it with
// its error, the resource appears at the clinic without a new event, the admin
// clicks Retry, and the row leaves the list and reaches HQ's database.
// Screenshots of each step go to test/screenshots/ (not committed).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, announceMissingLocation, count, createLocationSilently, startStatusScenario, statusJson } from './helpers/status-scenario.ts';
import type { StatusScenario } from './helpers/status-scenario.ts';
import { eventually } from './helpers/processes.ts';
import { startUnreadFeed } from './helpers/unread-feed.ts';

const CHROMIUM = process.env.ATOMSYNC_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

describe('subscriber status page in a browser', { timeout: 240_000 }, () => {
  let s: StatusScenario;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}subscriber-${name}.png`, fullPage: true });

  before(async () => {
    // A missing browser is a broken test machine, not a reason to skip the test.
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set ATOMSYNC_TEST_CHROMIUM`);
    mkdirSync(SHOTS, { recursive: true });
    s = await startStatusScenario('browser');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ httpCredentials: ADMIN, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await s?.cleanUp();
  });

  test('a dead letter is seen, fixed at the clinic, retried with its button, and reaches HQ', async () => {
    await eventually(async () => (await statusJson(s.url)).feeds[0]?.caughtUp === true, 60_000, 'HQ to catch up');
    await page.goto(s.url);
    await assert.doesNotReject(page.getByRole('heading', { name: /atomsync subscriber hq/ }).waitFor());
    assert.equal(await page.getByText('No dead letters').count(), 1);
    await shot('1-caught-up');

    const uuid = await announceMissingLocation(s.clinic.pool);
    await eventually(async () => (await statusJson(s.url)).deadLetters.some((d) => d.uuid === uuid), 30_000, 'the dead letter');
    await page.reload();
    const row = page.locator('tr', { hasText: uuid });
    assert.equal(await row.count(), 1, 'the dead letter is listed');
    const error = (await row.locator('.err').innerText()).trim();
    assert.match(error, /404/, 'with its error');
    assert.match(await row.innerText(), /location/);
    await shot('2-dead-letter');

    // The resource appears at the clinic with no event announcing it: only a retry can bring it.
    await createLocationSilently(s.clinic.pool, uuid, 'Found by the browser test');
    assert.equal(await count(s.hq.pool, 'SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [uuid]), 0);
    await row.getByRole('button', { name: /^Retry dead letter/ }).click();
    await page.waitForURL(/\?retried=1$/);
    assert.match(await page.getByRole('status').innerText(), /1 dead letter put back in line/);
    await shot('3-retried');

    await eventually(async () => {
      await page.reload();
      return (await page.locator('tr', { hasText: uuid }).count()) === 0;
    }, 30_000, 'the row to leave the list');
    assert.equal(await count(s.hq.pool, 'SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [uuid]), 1, 'the location reached HQ');
    assert.equal(await count(s.hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_inbox WHERE uuid = ?', [uuid]), 0);
    await page.goto(s.url);
    assert.equal(await page.getByText('No dead letters').count(), 1);
    await shot('4-recovered');
  });

  test("the feed's last hour is charted, inline and within the Content-Security-Policy", async () => {
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(s.url);
    await assert.doesNotReject(page.getByRole('heading', { name: 'Last hour' }).waitFor());
    const host = new URL(s.feed).host;
    for (const what of ['entries behind', 'seconds behind', 'entries consumed per minute']) {
      const chart = page.getByRole('img', { name: `${host} · all: ${what}, last hour` });
      assert.equal(await chart.count(), 1, what);
      const box = await chart.boundingBox();
      assert.ok(box && box.width >= 150 && box.height >= 40, `${what}: ${box?.width}×${box?.height}`);
    }
    // The stylesheet reaches the SVG through its classes: the baseline has a colour, not the default black fill.
    const base = await page.locator('svg.spark line.base').first().evaluate((el) => getComputedStyle(el).stroke);
    assert.notEqual(base, 'none');
    const figure = page.locator('figure.trend', { hasText: 'Behind, time' }).first();
    assert.match(await figure.innerText(), /caught up|behind/);
    await shot('0-last-hour');
    assert.deepEqual(refused, [], 'nothing refused by the Content-Security-Policy');
  });

  test('a feed nobody answers says "never read", with its error, not "caught up"', async () => {
    const u = await startUnreadFeed('browser_unread');
    try {
      await eventually(async () => (await statusJson(u.url)).feeds[0]!.consecutiveErrors >= 1, 30_000, 'the feed to fail');
      const p = await context.newPage();
      await p.goto(u.url);
      const row = p.locator('tbody tr', { hasText: new URL(u.feed).host }).first();
      const lag = (await row.locator('td[data-label="Lag"]').innerText()).trim();
      assert.match(lag, /never read/);
      assert.doesNotMatch(lag, /caught up/);
      assert.match(await row.locator('.err').innerText(), /ECONNREFUSED/);
      assert.match(await p.locator('figure.trend', { hasText: 'Behind, entries' }).nth(0).innerText(), /never read/);
      await p.screenshot({ path: `${SHOTS}subscriber-6-never-read.png`, fullPage: true });
      await p.close();
    } finally {
      await u.cleanUp();
    }
  });

  test('usable at 375 px: tables scroll inside their box, buttons are big enough to tap', async () => {
    const uuid = await announceMissingLocation(s.clinic.pool);
    await eventually(async () => (await statusJson(s.url)).deadLetters.some((d) => d.uuid === uuid), 30_000, 'a second dead letter');
    const phone = await browser.newContext({ httpCredentials: ADMIN, viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      await p.goto(s.url);
      const pageWidth = await p.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(pageWidth <= 375, `the page itself does not scroll sideways (${pageWidth} px wide)`);
      const button = p.locator('tr', { hasText: uuid }).getByRole('button', { name: /^Retry dead letter/ });
      const box = await button.boundingBox();
      assert.ok(box && box.height >= 44 && box.width >= 44, `Retry is ${box?.width}×${box?.height}`);
      await p.screenshot({ path: `${SHOTS}subscriber-5-phone.png`, fullPage: true });
      // The Retry all button clears it the same way.
      await createLocationSilently(s.clinic.pool, uuid, 'Found on the phone');
      await p.getByRole('button', { name: /^Retry all/ }).tap();
      await p.waitForURL(/\?retried=1$/);
      await eventually(async () => (await count(s.hq.pool, 'SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [uuid])) === 1, 30_000, 'Retry all to apply it');
    } finally {
      await phone.close();
    }
  });
});
