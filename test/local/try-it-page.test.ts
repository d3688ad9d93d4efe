/**
 * The try-it page in a real headless Chromium (Debian's, driven by playwright-core):
 * a person types a sentence and sees the entities highlighted with types and scores.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type RunningStack } from '../helpers/local-stack.js';
import { fixtures } from '../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.NERVE_REQUIRE_TRAINING === '1'; // set by .ci/run, which installs chromium

let stack: RunningStack;
let browser: Browser;

describe.skipIf(!existsSync(CHROMIUM) && !required)('try-it page in headless Chromium', () => {
  beforeAll(async () => {
    stack = await startLocalStack({ NERVE_MODEL: join(fixtures, 'tiny-model') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('highlights the entities of a typed sentence with their types and scores', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    const box = page.locator('#text');
    await box.fill('');
    await box.pressSequentially('Mira Osei joined Tessaro Motors in Kestrel Bay.', { delay: 5 });
    const marks = page.locator('#result mark.entity');
    await expect.poll(() => marks.count(), { timeout: 10_000 }).toBe(3);
    const found = await marks.evaluateAll((els) => els.map((el) => ({ type: el.getAttribute('data-type'), text: el.firstChild?.textContent, label: el.querySelector('.type')?.textContent, score: el.querySelector('.score')?.textContent })));
    expect(found.map((f) => [f.text, f.type, f.label])).toEqual([
      ['Mira Osei', 'PER', 'PER'],
      ['Tessaro Motors', 'ORG', 'ORG'],
      ['Kestrel Bay', 'LOC', 'LOC'],
    ]);
    for (const f of found) expect(Number(f.score)).toBeGreaterThan(0);
    // The whole sentence is still there, in order, around the highlights.
    expect(await page.locator('#result').evaluate((el) => el.textContent)).toMatch(/^Mira Osei.*joined Tessaro Motors.*in Kestrel Bay.*\.$/);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/3 entities/);
  });

  it('shows markup in the text as text, never as HTML', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    await page.locator('#text').fill('Ravi Mehta met Anna Kowalczyk . <img src=x onerror=alert(1)>');
    await page.locator('#go').click();
    // The text as shown, without the type and score labels the page adds to each highlight.
    const shownText = () =>
      page.locator('#result').evaluate((el) => {
        const copy = el.cloneNode(true) as HTMLElement;
        copy.querySelectorAll('.type, .score').forEach((n) => n.remove());
        return copy.textContent;
      });
    await expect.poll(shownText).toBe('Ravi Mehta met Anna Kowalczyk . <img src=x onerror=alert(1)>');
    expect(await page.locator('#result mark.entity').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#result img').count()).toBe(0);
  });
});
