// The publisher's pages in a real browser (Debian's Chromium, driven by playwright-core):
// sign in, the root page, a feed's recent page, older and newer archives, a resource's
// JSON, and a phone-sized screen. Screenshots land in test/screenshots/ for a person to look at.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Publisher } from '../publisher/publisher.ts';
import { FEED_PATH, REST_PATH, SUBSCRIBER_HEADER } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { drainOutbox, insertLocationSql } from './helpers/relay.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const USER = { username: 'hq', password: 's3cret' };

describe('publisher pages in a browser', () => {
  let db: TestDb;
  let publisher: Publisher;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const feed = (category: string, page: string | number) => `${base}${FEED_PATH}/${category}/${page}`;
  /** A page that notes any request leaving the publisher (the pages must need nothing else) and any console error. */
  const watched = async (ctx: BrowserContext): Promise<{ page: Page; problems: string[] }> => {
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('request', (r) => void (r.url().startsWith(base) || problems.push(`request to ${r.url()}`)));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    return { page, problems };
  };
  /** The whole page, or for long ones what fits the screen. */
  const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage });

  before(async () => {
    // CI installs Chromium (.ci/run); a machine without it must say so rather than pass quietly.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install chromium) to run the browser tests`);
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await freshDatabase('pubbrowser');
    await migrate(db.pool, 'field-a');
    await seedNode(db.pool, { patients: 3, seed: 'browser' });
    for (let i = 0; i < 120; i++) await db.pool.query(insertLocationSql, [`Ward ${i + 1}`]);
    await drainOutbox(db.pool);
    const users = new Map([[USER.username, USER.password], ['erp-finance', 'erp-secret']]);
    publisher = new Publisher({ dbUrl: db.url, port: 0, users, pageSize: 50, noRelay: true }, silentLogger);
    base = await publisher.start();
    // Two subscribers polling, each as its own user, so the root page has something to show: one caught up, one behind.
    await get(feed('all', 'recent'), { authorization: basic(USER.username, USER.password), [SUBSCRIBER_HEADER]: 'hq' });
    await get(feed('location', 2), { authorization: basic('erp-finance', 'erp-secret'), [SUBSCRIBER_HEADER]: 'erp-finance' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ httpCredentials: USER, viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await publisher?.stop();
    await db?.drop();
  });

  test('without credentials the browser is asked to sign in, and refused with 401', async () => {
    // With no credentials at all Playwright answers the Basic challenge (where a person would see
    // the browser's login prompt) by cancelling it, which it reports as this error.
    const anonymous = await browser.newContext();
    try {
      await assert.rejects((await anonymous.newPage()).goto(`${base}/`), /ERR_INVALID_AUTH_CREDENTIALS/);
    } finally {
      await anonymous.close();
    }
    // With a wrong password the browser shows the 401 page, as it does after "Cancel" on the prompt.
    const wrong = await browser.newContext({ httpCredentials: { ...USER, password: 'wrong' } });
    try {
      const page = await wrong.newPage();
      const res = await page.goto(`${base}/`);
      assert.equal(res?.status(), 401);
      assert.equal(await page.locator('h1').textContent(), '401 · Sign in required');
      assert.equal(await page.getByText('field-a').count(), 0, 'nothing about the node before signing in');
      await shot(page, 'publisher-401');
    } finally {
      await wrong.close();
    }
  });

  test('from the root page to a feed, older, newer, and a resource', async () => {
    const { page, problems } = await watched(context);
    const [{ n }] = await queryRows<{ n: number }>(db.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'location'`);
    const newest = Math.floor(Number(n) / 50) + 1;
    assert.ok(newest >= 3, 'archives to page through');
    const root = await page.goto(`${base}/`);
    assert.equal(root?.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'field-a');
    const subscribers = page.locator('table').nth(1);
    assert.match((await subscribers.locator('tr', { hasText: 'erp-finance' }).textContent()) ?? '', /node erp-finance/);
    await shot(page, 'publisher-root');

    await page.locator('table').first().getByRole('link', { name: 'location', exact: true }).click();
    assert.equal(page.url(), feed('location', 'recent'));
    assert.equal(await page.locator('h1').textContent(), `location feed · page ${newest}`);
    assert.match((await page.locator('.sub').textContent()) ?? '', /working page/);
    assert.equal(await page.locator('tbody tr').count(), Number(n) % 50);
    await shot(page, 'publisher-feed-recent');

    await page.getByRole('link', { name: '← older' }).first().click();
    assert.equal(page.url(), feed('location', newest - 1));
    assert.equal(await page.locator('h1').textContent(), `location feed · page ${newest - 1}`);
    assert.match((await page.locator('.sub').textContent()) ?? '', /archive/);
    assert.equal(await page.locator('tbody tr').count(), 50);
    await shot(page, 'publisher-feed-archive');

    await page.getByRole('link', { name: 'newer →' }).first().click();
    assert.equal(page.url(), feed('location', newest));
    assert.equal(await page.locator('h1').textContent(), `location feed · page ${newest}`);

    const link = page.locator('tbody tr').first().getByRole('link');
    const uuid = await link.getAttribute('title');
    await link.click();
    assert.equal(page.url(), `${base}${REST_PATH}/location/${uuid}?v=full`);
    const json = JSON.parse((await page.locator('pre').textContent()) ?? '');
    assert.equal(json.uuid, uuid);
    assert.match(json.display, /^Ward \d+$/);
    await shot(page, 'publisher-resource');
    await page.close();
    assert.deepEqual(problems, []);
  });

  test('a patient links to the resources it refers to', async () => {
    const { page, problems } = await watched(context);
    await page.goto(feed('patient', 'recent'));
    await page.locator('tbody tr').first().getByRole('link').click();
    assert.match(page.url(), new RegExp(`${REST_PATH}/patient/`));
    const json = JSON.parse((await page.locator('pre').textContent()) ?? '');
    assert.ok(json.person, 'a patient has its person');
    await shot(page, 'publisher-patient', false);
    const refs = page.locator('pre a');
    assert.ok((await refs.count()) > 1, 'references are links');
    await refs.first().click();
    assert.equal(await page.locator('pre').count(), 1, 'a reference opens as a page too');
    await page.close();
    assert.deepEqual(problems, []);
  });

  test('on a phone the page fits the screen and the table scrolls on its own', async () => {
    const phone = await browser.newContext({
      httpCredentials: USER,
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const { page, problems } = await watched(phone);
      for (const [url, name] of [
        [`${base}/`, 'publisher-phone-root'],
        [feed('all', 2), 'publisher-phone-feed'],
      ]) {
        await page.goto(url);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 375, `${url} is ${width}px wide on a 375px screen`);
        await shot(page, name, name.endsWith('root'));
      }
      const tableScrolls = await page.evaluate(() => {
        const box = document.querySelector('.scroll')!;
        return box.scrollWidth > box.clientWidth;
      });
      assert.ok(tableScrolls, 'the wide table scrolls inside its box');
      assert.deepEqual(problems, []);
    } finally {
      await phone.close();
    }
  });
});
