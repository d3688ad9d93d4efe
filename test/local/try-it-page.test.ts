/**
 * The try-it page in a real headless Chromium (Debian's, driven by playwright-core):
 * a person types a sentence and sees the entities highlighted with types and scores
 * (and which model, of which family, found them),
 * searches, and narrows a search by clicking one of its facets.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type RunningStack } from '../../tools/local-stack.js';
import { fixtures } from '../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.NERVE_REQUIRE_TRAINING === '1'; // set by .ci/run, which installs chromium

let stack: RunningStack;
let browser: Browser;
const inbox = join(mkdtempSync(join(tmpdir(), 'nerve-page-')), 'inbox');

describe.skipIf(!existsSync(CHROMIUM) && !required)('try-it page in headless Chromium', () => {
  beforeAll(async () => {
    stack = await startLocalStack({ NERVE_MODEL: join(fixtures, 'tiny-model'), NERVE_BATCH_MODEL: join(fixtures, 'tiny-model'), NERVE_INBOX: inbox });
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

  it('names the model that answered and its family, as /v1/entities returns them', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    const answer = page.waitForResponse((r) => r.url().endsWith('/v1/entities') && r.request().method() === 'POST');
    await page.locator('#text').fill('Mira Osei joined Tessaro Motors.');
    await page.locator('#go').click();
    const { model } = (await (await answer).json()) as { model: { name: string; version: string; family: string } };
    expect(model).toMatchObject({ name: 'tiny', family: 'bilstm-crf' }); // test/fixtures/tiny-model's manifest
    const shown = page.locator('#model');
    await expect.poll(() => shown.locator('.name').textContent()).toBe(model.name);
    expect(await shown.locator('.family').textContent()).toBe(model.family);
    expect(await shown.locator('.version').textContent()).toBe(model.version);
    expect(await shown.textContent()).toBe(`Model ${model.name} · ${model.family} · version ${model.version}`);
  });

  it('searches indexed documents and highlights the matched entities in each result', async () => {
    // Index a document through the local stack's own batch path first.
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(inbox, 'talks.txt'), 'Ravi Mehta of Quill Corp met Anna Kowalczyk in Port Avery.');
    const page = await browser.newPage();
    await page.goto(stack.url);
    await expect
      .poll(async () => {
        await page.locator('#query').fill('Anna Kowalczyk');
        await page.locator('#search').click();
        await page.waitForTimeout(300);
        // Until the document's entity postings are in, its terms alone may find it, without highlights.
        return page.locator('#results li mark.entity').count();
      }, { timeout: 30_000, interval: 500 })
      .toBeGreaterThanOrEqual(1);
    const first = page.locator('#results li').first();
    expect(await first.locator('.meta').textContent()).toContain('incoming/talks.txt');
    const highlighted = await first.locator('mark.entity').evaluateAll((els) => els.map((el) => [el.firstChild?.textContent, el.getAttribute('data-type')]));
    expect(highlighted).toContainEqual(['Anna Kowalczyk', 'PER']);
    expect(await page.locator('#query-entities').textContent()).toMatch(/Anna Kowalczyk \(PER/);
  });

  it('shows the facets of a search and keeps only the documents of one when it is clicked', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(inbox, 'visit.txt'), 'Anna Kowalczyk visited Osterholm on Friday.');
    writeFileSync(join(inbox, 'talks-2.txt'), 'Anna Kowalczyk met Ravi Mehta in Port Avery.');
    const page = await browser.newPage();
    await page.goto(stack.url);
    const osterholm = page.locator('#facets button.facet[data-type="LOC"][data-value="osterholm"]');
    // Both documents indexed: the query's results carry facets of both places.
    await expect
      .poll(async () => {
        await page.locator('#query').fill('Anna Kowalczyk');
        await page.locator('#search').click();
        await page.waitForTimeout(300);
        return (await osterholm.count()) > 0 && (await page.locator('#facets button.facet[data-value="port avery"]').count()) > 0;
      }, { timeout: 30_000, interval: 500 })
      .toBe(true);
    expect(await page.locator('#results li').count()).toBeGreaterThanOrEqual(2);
    await osterholm.click();
    await expect.poll(() => page.locator('#results li').count()).toBe(1);
    expect(await page.locator('#results li .meta').textContent()).toContain('incoming/visit.txt');
    expect(await page.locator('#filters button.filter').textContent()).toMatch(/LOC: osterholm/);
    // Removing the filter brings the other documents back.
    await page.locator('#filters button.filter').click();
    await expect.poll(() => page.locator('#results li').count()).toBeGreaterThanOrEqual(2);
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
