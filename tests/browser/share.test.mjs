// Browser test of the share toolkit (issue 15, part 2): on a phone, a supporter signs, confirms
// from the real mail, and the thank-you page hands them a personal link; a friend who opens it
// signs and confirms, and the supporter's shares page (the link in their confirmation mail, in
// a new browser) says their shares brought one signature, naming nobody. The supporter then
// asks a conference speaker with a pre-written post (the speaker's handle and the live count
// filled in), edits it and sends it on X: the browser leaves for x.com's intent with the text as
// edited (seen leaving: there is no network here). The campaign's share card is a
// 1200 x 630 PNG the browser decodes. axe-core on each page; no console errors.
//
// Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned node --test tests/browser/share.test.mjs
// (after `npm ci` in tests/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  axeCheck, confirmLink, findBinary, launchBrowser, shutdown, startServer, startSmtpSink,
  waitForMail, watchConsole,
} from './support.mjs';

const bin = findBinary();
const slug = 'speak-up';
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                deviceScaleFactor: 1 };

let tmp;
let sink;
let server;
let baseUrl;
let browser;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'undersigned-share-'));
  const data = path.join(tmp, 'data');
  const people = path.join(tmp, 'people.txt');
  fs.writeFileSync(people,
                   'name=Jane Doe; about=Keynote speaker at the conference; x=janedoe\n' +
                   '> {handle}, {count} of us ask you to speak up on stage: {url}\n');
  execFileSync(bin, ['campaign', 'create', '--data', data, '--slug', slug, '--title',
                     'Speak up about the contract', '--goal', '100', '--status', 'open',
                     '--target', 'Dana Rivera|CEO|Acme|dana', '--demand', 'Drop the contract.',
                     '--letter', 'Dear Dana,\n\nPlease drop the contract.\n',
                     '--secondary-targets', people]);
  sink = await startSmtpSink(path.join(tmp, 'mail'));
  server = await startServer(bin, data, sink);
  baseUrl = server.baseUrl;
  browser = await launchBrowser();
});

after(() => shutdown({ browser, server, sink, tmp }));

// Signs on `landing` in a fresh phone browser and confirms from the mail; returns the page the
// button led to, its context (still open) and the confirmation link.
async function signAndConfirm(landing, name, email, problems) {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  watchConsole(page, `${name}'s page`, problems);
  await page.goto(landing);
  await page.fill('#f-name', name);
  await page.fill('#f-email', email);
  await Promise.all([page.waitForURL(/\/sent$/), page.click('form.sign-form button[type=submit]')]);
  const mail = await waitForMail(path.join(tmp, 'mail'), (m) => m.rcpt.includes(email),
                                 `the confirmation mail to ${email}`, 15000);
  const link = confirmLink(mail);
  await page.goto(link);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/s/confirm"] button')]);
  await page.waitForSelector('h1');
  return { context, page, link };
}

test('a personal link is credited, a speaker is asked with an edited post, the card is a PNG',
     { timeout: 120000 }, async () => {
  const problems = [];
  const ada = await signAndConfirm(`${baseUrl}/c/${slug}`, 'Ada Supporter',
                                   'ada@example.org', problems);
  assert.match(await ada.page.textContent('h1'), /Thank you! Your signature is confirmed/);
  const personal = await ada.page.inputValue('#f-personal-url');
  assert.match(personal, new RegExp(`^${baseUrl}/c/${slug}\\?ref=[A-Za-z0-9_-]{16}$`));
  await axeCheck(ada.page, 'thank-you page with the personal link');

  // A friend opens it from WhatsApp, signs and confirms.
  const friend = await signAndConfirm(`${personal}&s=whatsapp`, 'Bo Friend', 'bo@example.org',
                                      problems);
  assert.match(await friend.page.textContent('h1'), /Your signature is confirmed/);
  await friend.context.close();

  // Later, from the mail's link in a new browser: the shares page names the number only.
  const later = await browser.newContext(phone);
  const shares = await later.newPage();
  watchConsole(shares, 'shares page', problems);
  await shares.goto(ada.link.replace('/s/confirm?', '/s/shares?'));
  const text = await shares.textContent('main');
  assert.match(text, /Your shares have brought 1 confirmed signature\./);
  assert.doesNotMatch(text, /Bo Friend|bo@example\.org/);
  await axeCheck(shares, 'shares page');
  await later.close();

  // Ask the speaker: the page offers the organizers' post with her X handle and the count.
  const ask = ada.page;
  await ask.goto(`${baseUrl}/c/${slug}`);
  await Promise.all([ask.waitForURL(/\/ask\/1/), ask.click('a:has-text("Jane Doe")')]);
  const post = await ask.inputValue('#ask-x');
  assert.match(post, /^@janedoe, 2 of us ask you to speak up on stage: /);
  await axeCheck(ask, 'page asking the speaker');
  // The browser follows our redirect to X's intent (the request is seen leaving; with no
  // network here it goes no further). Our page's policy must let the form end there.
  await ask.fill('#ask-x', `${post} Please, Jane.`);
  const [leaving] = await Promise.all([
    ask.waitForRequest((r) => r.url().startsWith('https://x.com/')),
    ask.click('form.ask-form:has(#ask-x) button'),
  ]);
  const sent = new URL(leaving.url());
  assert.equal(sent.pathname, '/intent/tweet');
  assert.equal(sent.searchParams.get('text'), `${post} Please, Jane.`);

  // The share card: a PNG of 1200 x 630 that the browser decodes.
  const card = await browser.newContext(phone);
  const cardPage = await card.newPage();
  await cardPage.goto(`${baseUrl}/c/${slug}`);
  const size = await cardPage.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  }, `${baseUrl}/c/${slug}/card.png`);
  assert.deepEqual(size, [1200, 630]);
  await card.close();
  await ada.context.close();
  assert.deepEqual(problems, []);
});
