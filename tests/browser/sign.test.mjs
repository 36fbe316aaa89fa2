// Browser test: Debian's Chromium driven by playwright-core against the real binary and a real
// SMTP server. Signs through the form, confirms from the received email, sees the count move
// on a second page without reloading, checks the page under its own CSP (no console errors),
// that it fits a phone, and runs axe-core on the campaign, thank-you and confirm pages (no
// serious or critical violations). Takes a screenshot of the campaign page: into the working
// directory, or over docs/screenshot.png (the README's) when UPDATE_SCREENSHOT=1.
//
// Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned node --test tests/browser/sign.test.mjs
// (after `npm ci` in tests/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertSigned, axeCheck, confirmLink, findBinary, hiddenFields, httpClient, launchBrowser,
  shutdown, sourceDir, startServer, startSmtpSink, waitForMail as waitForSinkMail, watchConsole,
} from './support.mjs';

const slug = 'browser-demo';
const bin = findBinary();

// The first message (oldest first) whose To header or envelope recipient names `to`.
function waitForMail(dir, to, timeoutMs = 15000) {
  const sentTo = (m) => (m.to + ' ' + m.rcpt).toLowerCase().includes(to.toLowerCase());
  return waitForSinkMail(dir, sentTo, `mail to ${to}`, timeoutMs);
}

// Signs and confirms through the plain HTML forms (no browser), as a person without
// JavaScript would: GET the page, POST the form with the CSRF cookie and field, open the link
// from the mail, POST its button. Used to give the page some public signers.
async function signWithoutBrowser(name, email, comment) {
  const http = httpClient();
  const page = await http.get(`${baseUrl}/c/${slug}`);
  const signed = await http.post(`${baseUrl}/c/${slug}/sign`, {
    ...hiddenFields(page.text, `/c/${slug}/sign`), name, email, comment, public_name: 'yes' });
  assertSigned(signed);
  const mail = await waitForMail(sink.dir, email);
  const confirmPage = await http.get(confirmLink(mail));
  const done = await http.post(`${baseUrl}/s/confirm`,
                               hiddenFields(confirmPage.text, '/s/confirm'));
  assert.ok(done.status === 200 || done.status === 303, done.text);
}

let tmp;
let sink;
let server;
let baseUrl;
let browser;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'undersigned-browser-'));
  const data = path.join(tmp, 'data');
  const letter = [
    'Dear Ms. Example,',
    '',
    'We, your employees and customers, ask Example Corp to **end its contract** with the',
    'agency before the end of the quarter, and to say so publicly.',
    '',
    'We are proud of what we build. We want to stay proud of who it serves.',
  ].join('\n');
  execFileSync(bin, ['campaign', 'create', '--slug', slug,
    '--title', 'Example Corp: end the contract',
    '--target', 'Pat Example|Chief Executive Officer|Example Corp|pat_example',
    '--target', 'Sam Board|Chair of the Board|Example Corp|',
    '--goal', '50', '--demand', 'End the contract and say so publicly.',
    '--letter', letter, '--status', 'open', '--data', data], { stdio: 'pipe' });
  sink = await startSmtpSink(path.join(tmp, 'mail'));
  server = await startServer(bin, data, sink);
  baseUrl = server.baseUrl;
  browser = await launchBrowser();
});

after(() => shutdown({ browser, server, sink, tmp }));

test('sign, confirm from the email, live count, accessibility', { timeout: 120000 },
     async () => {
  const problems = [];
  const signer = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const watcher = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await signer.newPage();
  const live = await watcher.newPage();
  watchConsole(page, 'signer', problems);
  watchConsole(live, 'watcher', problems);

  // A few public signers first, so the page (and the README screenshot) looks lived in.
  const seed = [
    ['Grace Hopper', 'We owe it to the people this contract affects.'],
    ['Alan Turing', ''],
    ['Katherine Johnson', 'Proud of our work; not of this contract.'],
    ['Margaret Hamilton', 'Signed, and I hope the board listens.'],
    ['Edsger Dijkstra', ''],
  ];
  for (const [i, [name, comment]] of seed.entries()) {
    await signWithoutBrowser(name, `seed${i}-${Date.now()}@example.org`, comment);
  }

  // The watcher opens the campaign page and stays there.
  await live.goto(`${baseUrl}/c/${slug}`);
  await live.waitForLoadState('networkidle').catch(() => {});
  // Remember what shows the count now (the [data-count] hook, or else every element showing
  // the number), and mark the window to prove later that it was not reloaded.
  const startCount = (await (await fetch(`${baseUrl}/c/${slug}.json`)).json()).confirmed;
  const fmt = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const shown = await live.evaluate((text) => {
    window.__undersignedNoReload = true;
    const re = new RegExp(`(^|[^\\d.,])${text}([^\\d.,]|$)`);
    const hooked = [...document.querySelectorAll('[data-count]')];
    const candidates = hooked.length ? hooked : [...document.body.querySelectorAll('*')];
    let n = 0;
    for (const el of candidates) {
      if (el.closest('form, script, style, noscript')) continue;
      const own = hooked.length ? el.textContent
          : [...el.childNodes].filter((c) => c.nodeType === 3).map((c) => c.data).join('');
      if (re.test(own)) {
        el.setAttribute('data-test-count', '');
        n++;
      }
    }
    return n;
  }, fmt(startCount));
  assert.ok(shown > 0, `the campaign page does not show the count ${startCount}`);

  // Sign through the form.
  await page.goto(`${baseUrl}/c/${slug}`);
  assert.match(await page.title(), /Example Corp/);
  await axeCheck(page, 'campaign page');
  const email = `browser-${Date.now()}@example.org`;
  const form = page.locator(`form[action*="/c/${slug}/sign"]`);
  await form.locator('[name="name"]').fill('Ada Browser');
  await form.locator('[name="email"]').fill(email);
  await form.locator('details.optional-fields > summary').click();  // folded until wanted
  await form.locator('[name="comment"]').fill('Signed from Chromium.');
  await form.locator('[name="public_name"]').check();
  await Promise.all([
    page.waitForNavigation(),
    form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click(),
  ]);
  assert.match(await page.locator('body').innerText(), /email/i);
  await axeCheck(page, 'thank-you page');

  // The email arrives over SMTP; its link opens a page with a button.
  const mail = await waitForMail(sink.dir, email);
  await page.goto(confirmLink(mail));
  await axeCheck(page, 'confirm page');
  const button = page.locator('form[action*="/s/confirm"]')
      .locator('button, input[type="submit"]').first();
  await button.waitFor({ timeout: 5000 });
  const clicked = Date.now();
  await Promise.all([page.waitForNavigation(), button.click()]);

  // The watcher sees the count go up by one, without reloading, within 5 s.
  await live.waitForFunction((text) => [...document.querySelectorAll('[data-test-count]')]
      .some((el) => new RegExp(`(^|[^\\d.,])${text}([^\\d.,]|$)`).test(el.textContent)),
  fmt(startCount + 1), { timeout: 5000 });
  console.log(`live count moved ${Date.now() - clicked} ms after the click`);
  assert.equal(await live.evaluate(() => window.__undersignedNoReload), true,
               'the watcher page was reloaded');

  // The confirmed page offers the signer's receipt from the signature log, and it is one.
  await axeCheck(page, 'confirmed page');
  const receiptLink = page.locator('a', { hasText: 'Download my receipt' });
  await receiptLink.waitFor({ timeout: 5000 });
  const receiptUrl = new URL(await receiptLink.getAttribute('href'), baseUrl).toString();
  const receiptResponse = await page.request.get(receiptUrl);
  assert.equal(receiptResponse.status(), 200, await receiptResponse.text());
  const receipt = await receiptResponse.json();
  assert.equal(receipt.format, 'undersigned-receipt/v1');
  assert.equal(receipt.campaign.slug, slug);
  assert.ok(Array.isArray(receipt.inclusion_proof));
  assert.match(receipt.checkpoint, /\n\u2014 /);  // a signed note

  // The signer's public name shows on a fresh load; take the README screenshot there.
  // (The recent-signers list may be cached for a second: reload until it shows, bounded.)
  const shownBy = Date.now() + 5000;
  for (;;) {
    await page.goto(`${baseUrl}/c/${slug}`);
    if (/Ada Browser/.test(await page.locator('body').innerText())) break;
    assert.ok(Date.now() < shownBy, 'the new public signer is not on the campaign page');
    await page.waitForTimeout(200);
  }
  fs.mkdirSync(path.join(sourceDir, 'docs'), { recursive: true });
  const shot = process.env.UPDATE_SCREENSHOT === '1'
    ? path.join(sourceDir, 'docs', 'screenshot.png')
    : path.join(process.cwd(), 'campaign-page.png');
  await page.screenshot({ path: shot });

  // It fits a phone: no horizontal scrolling at 360 px.
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 },
                                           isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  watchConsole(small, 'phone', problems);
  await small.goto(`${baseUrl}/c/${slug}`);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth -
                                               document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the campaign page scrolls sideways on a phone by ${overflow}px`);

  assert.deepEqual(problems, [], 'console errors (a CSP violation shows up here)');
  await Promise.all([signer.close(), watcher.close(), phone.close()]);
});
