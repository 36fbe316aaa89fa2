// Browser test of an organizer's whole day in the console (issue 13, "How we will know"):
// Debian's Chromium driven by playwright-core against the real binary and a real SMTP server.
// Only what a newcomer does at the command line is done there (`user create --role admin` with a
// password); everything else goes through the browser:
//  - sign in with the password, turn on the second factor on the account page (the key read
//    from the page, RFC 6238 codes computed here with node:crypto), sign out, sign in again
//    with the password and a code (and the __Host- session cookie is checked as Chromium kept
//    it);
//  - start a campaign with signer groups in the console's form, the live Markdown preview
//    (static/console.js) showing the letter rendered; the draft at its real /c/<slug> with its
//    banner (a browser without the session gets 404); open it from the edit form;
//  - signers (plain HTTP clients, each from its own network: the server trusts X-Forwarded-For)
//    sign and confirm by mail; one confirmed while the dashboard is open shows in its chart's
//    table and its count on reload;
//  - hide a comment from the moderation page (gone from the public page, count unchanged);
//    bulk-invalidate a flood from 203.0.113.0/24 after the preview's count (the public count
//    drops by exactly the flood) and `undersigned log audit` passes;
//  - an organization asks to co-sign on the public pages (its own browser, a logo); the
//    organizer sees the logo and approves it; it shows on the campaign page;
//  - an update, written with its live preview, sent to oneself as a test, then to the one signer
//    who asked for updates, over real SMTP; its RFC 8058 one-click unsubscribe (a POST without
//    any session) works and the update's counts say so;
//  - the letter delivered to its target by email, with the PDF attached (%PDF), and the
//    campaign page says it was delivered;
//  - axe-core on every console page visited: no serious or critical violations.
//
// Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned node --test tests/browser/console.test.mjs
// (after `npm ci` in tests/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  allMail, assertSigned, axeCheck, confirmLink, findBinary, hiddenFields, httpClient,
  launchBrowser, shutdown, startServer, startSmtpSink, waitForMail as waitForSinkMail,
  watchConsole,
} from './support.mjs';

const bin = findBinary();
const ADMIN = 'ada@example.org';
const PASSWORD = 'correct horse battery staple';
const slug = 'fund-the-library';
const title = 'Fund the library';
const FLOOD = 20;  // signatures from 203.0.113.0/24

// ---- RFC 6238 (SHA-1, 30 s steps, 6 digits: what authenticator apps do)

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/[=\s]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    assert.ok(v >= 0, `not base32: ${text}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

// A small real PNG (an RGBA gradient), as an organization's logo.
function png(width = 120, height = 80) {
  const chunk = (kind, body) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const both = Buffer.concat([Buffer.from(kind, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(both));
    return Buffer.concat([len, both, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);  // 8 bits, RGBA
  const rows = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(x * 2, y * 3, 160, 255);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header),
                        chunk('IDAT', zlib.deflateSync(Buffer.from(rows))),
                        chunk('IEND', Buffer.alloc(0))]);
}

// ---- signers, who do not use the browser

const sentTo = (m, to) => m.rcpt.toLowerCase().split(/\s*,\s*/).includes(to.toLowerCase());
const waitForMail = (to, pred = () => true, timeoutMs = 20000) =>
  waitForSinkMail(sink.dir, (m) => sentTo(m, to) && pred(m), `mail to ${to}`, timeoutMs);

let serial = 0;
// Signs as the public from `address` (X-Forwarded-For) through the plain HTML form; with
// confirm, follows the mailed link and presses its button. Returns the signer's email.
async function signFrom(address, name, { comment = '', updates = false, confirm = true } = {}) {
  const email = `signer${++serial}-${Date.now()}@example.net`;
  const http = httpClient({ 'X-Forwarded-For': address });
  const page = await http.get(`${baseUrl}/c/${slug}`);
  assert.equal(page.status, 200, page.text);
  const fields = { ...hiddenFields(page.text, `/c/${slug}/sign`), group: 'public', name, email,
                   comment, public_name: 'yes' };
  if (updates) fields.wants_updates = 'yes';
  assertSigned(await http.post(`${baseUrl}/c/${slug}/sign`, fields));
  if (confirm) await confirmSigner(http, email);
  return { email, http };
}

async function confirmSigner(http, email) {
  const mail = await waitForMail(email, (m) => /confirm/.test(m.text));
  const confirmPage = await http.get(confirmLink(mail));
  assert.equal(confirmPage.status, 200, confirmPage.text);
  const done = await http.post(`${baseUrl}/s/confirm`,
                               hiddenFields(confirmPage.text, '/s/confirm'));
  assert.ok(done.status === 200 || done.status === 303, done.text);
}

const publicCounts = async () => (await (await fetch(`${baseUrl}/c/${slug}.json`)).json());

// Polls fn until it returns something truthy (bounded); `what` names it in the error.
async function eventually(fn, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tmp;
let data;
let sink;
let server;
let baseUrl;
let browser;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'undersigned-console-'));
  data = path.join(tmp, 'data');
  // What a newcomer does at the command line: the first administrator, with a password.
  const made = execFileSync(bin, ['user', 'create', '--email', ADMIN, '--name', 'Ada',
                                  '--role', 'admin', '--password-stdin', '--data', data],
                            { input: `${PASSWORD}\n`, encoding: 'utf8' });
  assert.match(made, /password set/);
  sink = await startSmtpSink(path.join(tmp, 'mail'));
  // Behind a proxy: each signer's address comes from X-Forwarded-For (server.trust_proxy).
  server = await startServer(bin, data, sink, { UNDERSIGNED_SERVER_TRUST_PROXY: 'true' });
  // The session cookie is __Host- and Secure. Chromium keeps Secure cookies over plain HTTP
  // only from a secure context's host: http://127.0.0.1 (a loopback address) is one, as is
  // localhost; the server answers on 127.0.0.1 and the test uses it as is.
  baseUrl = server.baseUrl;
  browser = await launchBrowser();
});

after(() => shutdown({ browser, server, sink, tmp }));

test("an organizer's day in the console", { timeout: 170000 }, async (t) => {
  const problems = [];
  const organizer = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await organizer.newPage();
  watchConsole(page, 'organizer', problems);
  const axed = new Set();
  // Every console page visited gets axe-core once per distinct state (label).
  const check = async (label) => {
    if (axed.has(label)) return;
    axed.add(label);
    await axeCheck(page, label);
  };
  const go = async (url, label) => {
    const r = await page.goto(`${baseUrl}${url}`);
    assert.equal(r.status(), 200, `${url}: ${r.status()}`);
    if (label) await check(label);
    return r;
  };
  // Clicks and waits for the page the click leads to.
  const submit = (locator) => Promise.all([page.waitForNavigation(), locator.click()]);
  const text = () => page.locator('body').innerText();
  // Submits a form whose answer is an error page of that status (Chromium logs the page's own
  // status as a console error: that one is expected and dropped from problems).
  const submitRefused = async (locator, status) => {
    const seen = problems.length;
    const [r] = await submit(locator);
    assert.equal(r.status(), status, await text());
    const logged = new RegExp(`responded with a status of ${status}`);
    problems.splice(seen, problems.length - seen,
                    ...problems.slice(seen).filter((p) => !logged.test(p)));
  };
  // The day's steps, in order: once one fails, the later ones (which build on it) are skipped.
  let failed = null;
  const step = (name, fn) => t.test(name, { skip: failed ? `after "${failed}" failed` : false },
                                    async () => {
    try {
      await fn();
    } catch (e) {
      failed = name;
      throw e;
    }
  });

  let secret;
  let enrolStep;
  await step('sign in, turn on a second factor, sign in again with it', async () => {
    await page.goto(`${baseUrl}/console`);
    assert.match(page.url(), /\/console\/sign-in/, 'the console asks to sign in');
    await check('sign-in page');
    const form = page.locator('form[action="/console/sign-in"]');
    await form.locator('#s-email').fill(ADMIN);
    await form.locator('#s-password').fill(PASSWORD);
    await submit(form.getByRole('button', { name: 'Sign in' }));
    assert.equal(new URL(page.url()).pathname, '/console', await text());
    await check('home (no campaigns)');

    // Chromium kept the session cookie with its flags, on http://127.0.0.1.
    const cookies = await organizer.cookies(baseUrl);
    const session = cookies.find((c) => c.name === '__Host-undersigned-session');
    assert.ok(session, `no session cookie in Chromium: ${JSON.stringify(cookies)}`);
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/');

    await go('/console/account', 'account page');
    secret = (await page.locator('#totp-secret').innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{16,}=*$/, `the key on the page: ${secret}`);
    enrolStep = stepNow();
    const totpForm = page.locator('form[action="/console/account/totp"]');
    await totpForm.locator('#a-code').fill(totp(secret, enrolStep));
    await submit(totpForm.getByRole('button', { name: 'Turn on the second factor' }));
    assert.match(await text(), /Signing in asks for a code from your authenticator app/);
    await check('account page (second factor on)');

    await submit(page.locator('nav.console-nav').getByRole('button', { name: 'Sign out' }));
    await page.goto(`${baseUrl}/console`);
    assert.match(page.url(), /\/console\/sign-in/, 'signed out');

    // The password alone now asks for the code.
    let signIn = page.locator('form[action="/console/sign-in"]');
    await signIn.locator('#s-email').fill(ADMIN);
    await signIn.locator('#s-password').fill(PASSWORD);
    await submitRefused(signIn.getByRole('button', { name: 'Sign in' }), 401);
    assert.match(await text(), /authenticator/);
    await check('sign-in page asking for the code');
    // A code works once: the one used to turn it on is spent...
    signIn = page.locator('form[action="/console/sign-in"]');
    await signIn.locator('#s-email').fill(ADMIN);
    await signIn.locator('#s-password').fill(PASSWORD);
    await signIn.locator('#s-code').fill(totp(secret, enrolStep));
    await submitRefused(signIn.getByRole('button', { name: 'Sign in' }), 401);
    // ...so the next step's code (the server accepts a step either side of now) signs in
    // without waiting for the clock.
    signIn = page.locator('form[action="/console/sign-in"]');
    await signIn.locator('#s-email').fill(ADMIN);
    await signIn.locator('#s-password').fill(PASSWORD);
    await signIn.locator('#s-code').fill(totp(secret, Math.max(enrolStep, stepNow()) + 1));
    await submit(signIn.getByRole('button', { name: 'Sign in' }));
    assert.equal(new URL(page.url()).pathname, '/console', await text());
    const again = (await organizer.cookies(baseUrl))
        .find((c) => c.name === '__Host-undersigned-session');
    assert.ok(again && again.value !== session.value, 'a new session token at sign-in');
  });

  const groups = 'kind=employees; key=staff; name=Library staff; organization=City Library; ' +
                 'domains=library.example\nkind=public; key=public; name=Everyone else';
  await step('start a campaign with groups, the live preview, the draft, open it', async () => {
    await go('/console', 'home (no campaigns)');
    await submit(page.getByRole('link', { name: 'Start a campaign' }));
    assert.equal(new URL(page.url()).pathname, '/console/campaigns/new');
    await check('new campaign form');
    const form = page.locator('form.campaign-form');
    await form.locator('#f-title').fill(title);
    await form.locator('#f-slug').fill('Fund The Library!');  // corrected below
    await form.locator('#f-demand').fill('Keep the library open on Sundays.');
    // Typing the letter renders it on the server into the preview (console.js).
    await form.locator('#f-letter').fill(
        'Dear council,\n\nKeep the library **open on Sundays**.\n\n- for students\n- for all');
    const preview = page.locator('#letter-preview');
    await preview.locator('strong', { hasText: 'open on Sundays' }).waitFor({ timeout: 10000 });
    assert.equal(await preview.locator('li').count(), 2, await preview.innerHTML());
    assert.doesNotMatch(await preview.innerText(), /\*\*/);
    await check('new campaign form with its preview');
    await form.locator('#t0-name').fill('Pat Council');
    await form.locator('#t0-title').fill('Chair of the council');
    await form.locator('#t0-email').fill('pat@council.example');
    await form.locator('#f-goal').fill('100');
    await form.locator('#f-groups').fill(groups);
    await form.locator('#f-anonymity_floor').fill('3');
    assert.equal(await form.locator('#f-status').inputValue(), 'draft');
    // A wrong address comes back as typed, with a message saying what to fix.
    await submitRefused(form.getByRole('button', { name: 'Create the campaign' }), 422);
    const summary = page.locator('.error-summary');
    assert.match(await summary.innerText(), /Address/);
    assert.equal(await form.locator('#f-title').inputValue(), title);
    assert.equal((await form.locator('#f-groups').inputValue()).trimEnd(), groups);
    assert.equal(await form.locator('#t0-email').inputValue(), 'pat@council.example');
    await preview.locator('strong', { hasText: 'open on Sundays' }).waitFor({ timeout: 10000 });
    await check('new campaign form with an error');
    await form.locator('#f-slug').fill(slug);
    await submit(form.getByRole('button', { name: 'Create the campaign' }));
    assert.equal(new URL(page.url()).pathname, `/console/c/${slug}`, await text());
    assert.match(await text(), /as a draft/);
    await check('campaign page (draft)');

    // The draft at its real address, for its organizers only.
    await submit(page.getByRole('link', { name: 'See the draft at its real address' }));
    assert.equal(new URL(page.url()).pathname, `/c/${slug}`);
    await page.locator('.draft-banner').waitFor();
    assert.match(await page.locator('.letter strong').first().innerText(), /open on Sundays/);
    const stranger = await browser.newContext();
    const hidden = await (await stranger.newPage()).goto(`${baseUrl}/c/${slug}`);
    assert.equal(hidden.status(), 404, 'a browser without the session sees no draft');
    await stranger.close();

    // Open it from the edit form (only an owner sets the status).
    await go(`/console/c/${slug}/edit`, 'edit form');
    const edit = page.locator('form.campaign-form');
    assert.equal((await edit.locator('#f-groups').inputValue()).trimEnd(), groups);
    await edit.locator('#f-status').selectOption('open');
    await submit(edit.getByRole('button', { name: 'Save', exact: true }));
    assert.equal(new URL(page.url()).pathname, `/console/c/${slug}`, await text());
    assert.match(await text(), /Status: open/);
    await check('campaign page (open)');
    const r2 = await fetch(`${baseUrl}/c/${slug}`);
    assert.equal(r2.status, 200, 'the open campaign is public');
    assert.doesNotMatch(await r2.text(), /draft-banner/);
  });

  // Real signers from different networks (one asks for updates), and a flood from one /24.
  let real;
  await step('signatures arrive; one shows on the open dashboard', async () => {
    // (The flood first: the campaign page lists the ten latest signers, real ones among them.)
    await Promise.all(Array.from({ length: FLOOD }, (_, i) =>
        signFrom(`203.0.113.${10 + i}`, `Bot Number ${i}`, { comment: `spam spam ${i}` })));
    real = await Promise.all([
      signFrom('198.51.100.7', 'Real Person Zero', { comment: 'Sundays are for reading' }),
      signFrom('192.0.2.44', 'Real Person One', { comment: 'My kids need it',
                                                   updates: true }),
      signFrom('2001:db8:5::9', 'Real Person Two'),
    ]);
    const before = await publicCounts();
    assert.equal(before.confirmed, 3 + FLOOD);

    // The organizer has the dashboard open when one more signs and confirms. (The chart counts
    // signatures by when they were made, confirmed or not; the figures above it, confirmed.)
    await go(`/console/c/${slug}/dashboard`, 'dashboard');
    const total = async () => (await page.locator('table.chart-table tfoot td').textContent())
        .trim();
    const confirmedShown = async () => (await page.locator('dl.console-counts dd').first()
        .innerText()).trim();
    assert.equal(await total(), String(3 + FLOOD));
    assert.match(await confirmedShown(), new RegExp(`^${3 + FLOOD} of a goal of 100`));
    assert.equal(await page.locator('.console-chart svg').count(), 1);
    real.push(await signFrom('198.51.100.200', 'Late Person'));
    // No live path on the dashboard: reload until it shows (bounded).
    await eventually(async () => {
      await page.reload();
      return (await total()) === String(4 + FLOOD) &&
             (await confirmedShown()).startsWith(`${4 + FLOOD} of a goal of 100`);
    }, 'the new signature on the dashboard chart and in its count');
    const byGroup = page.locator('section.console-tally', { hasText: 'By group' });
    // The group's name, not its key.
    assert.match(await byGroup.innerText(), new RegExp(`Everyone else\\s+${4 + FLOOD}\\s+0`));
    await go(`/console/c/${slug}/dashboard?per=day`, 'dashboard per day');
    assert.equal(await total(), String(4 + FLOOD));
  });

  await step('hide a comment from the moderation page', async () => {
    const before = (await publicCounts()).confirmed;
    assert.match(await (await fetch(`${baseUrl}/c/${slug}`)).text(), /Sundays are for reading/);
    // The signature's id, from the signatures list.
    await go(`/console/c/${slug}/signatures?q=${encodeURIComponent('Real Person Zero')}`,
             'signatures list');
    const row = page.locator('table.console-table tbody tr', { hasText: 'Real Person Zero' });
    assert.equal(await row.count(), 1);
    const id = (await row.locator('code.signature-id').innerText()).trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    await go(`/console/c/${slug}/moderation`, 'moderation page');
    const hide = page.locator(`form[action="/console/c/${slug}/moderation/hide"]`);
    await hide.getByLabel('Signature id').fill(id);
    await hide.getByLabel('What').selectOption('comment');
    await hide.getByLabel('Hide or show').selectOption('1');
    await submit(hide.getByRole('button', { name: 'Apply' }));
    assert.match(page.url(), /\/moderation\?done=/);
    await check('moderation page (done)');
    await eventually(async () => !/Sundays are for reading/.test(
        await (await fetch(`${baseUrl}/c/${slug}`)).text()), 'the comment to leave the page');
    const pub = await (await fetch(`${baseUrl}/c/${slug}`)).text();
    assert.match(pub, /Real Person Zero/, 'the signer is still listed');
    assert.equal((await publicCounts()).confirmed, before, 'hiding keeps the count');
  });

  await step('bulk-invalidate the flood from 203.0.113.0/24; log audit passes', async () => {
    const before = (await publicCounts()).confirmed;
    await go(`/console/c/${slug}/moderation`, 'moderation page');
    const filter = page.locator(`form[method="get"][action="/console/c/${slug}/moderation"]`);
    await filter.getByLabel(/Network ranges/).fill('203.0.113.0/24');
    await submit(filter.getByRole('button', { name: 'See how many match' }));
    assert.match(await text(), new RegExp(`\\b${FLOOD} signatures match now`));
    const sample = await page.locator('table.console-table').last().innerText();
    assert.match(sample, /Bot Number/);
    assert.doesNotMatch(sample, /Real Person|Late Person/);
    await check('moderation page (flood preview)');
    const confirm = page.locator(`form[action="/console/c/${slug}/moderation/invalidate"]`);
    await confirm.getByLabel(/Reason/).fill('a flood from one network');
    await submit(confirm.getByRole('button', { name: `Invalidate these ${FLOOD} signatures` }));
    assert.match(page.url(), /\/moderation\?done=/, await text());
    await check('moderation page (invalidated)');
    await eventually(async () => (await publicCounts()).confirmed === before - FLOOD,
                     `the public count to drop by ${FLOOD}`);
    // The count is spliced into the cached page on every request; its recent signers are
    // rendered again at most once a second (docs/moderation.md), so the flood leaves them
    // within a second of the count.
    const pub = await eventually(async () => {
      const body = await (await fetch(`${baseUrl}/c/${slug}`)).text();
      return /Bot Number/.test(body) ? null : body;
    }, 'the flood to leave the public page', 5000);
    assert.match(pub, /Real Person One/);

    // Every confirmation and every invalidation is a leaf of the signature log: once a
    // checkpoint covers them all, the audit of the published log passes.
    const leaves = 4 + FLOOD + FLOOD;
    await eventually(async () => {
      const note = await (await fetch(`${baseUrl}/log/checkpoint`)).text();
      return Number(note.split('\n')[1]) === leaves;
    }, `a checkpoint of ${leaves} leaves`);
    const audit = spawnSync(bin, ['log', 'audit', `${baseUrl}/`, '--state',
                                  path.join(tmp, 'audit-state.json')],
                            { encoding: 'utf8', timeout: 60000 });
    assert.equal(audit.status, 0, `log audit failed:\n${audit.stdout}\n${audit.stderr}`);
    assert.match(audit.stdout, /PASSED/);
  });

  const orgName = 'Friends of the Library';
  const orgContact = `press-${Date.now()}@friends-library.example.org`;
  await step('an organization asks to co-sign, on the public pages', async () => {
    // Someone at the organization, in a browser of their own.
    const coalition = await browser.newContext();
    const them = await coalition.newPage();
    watchConsole(them, 'organization', problems);
    await them.goto(`${baseUrl}/c/${slug}/organizations/new`);
    await axeCheck(them, 'organization form');
    const form = them.locator(`form[action="/c/${slug}/organizations"]`);
    await form.locator('#o-name').fill(orgName);
    await form.locator('#o-website').fill('https://friends-library.example.org');
    await form.locator('#o-contact_email').fill(orgContact);
    await form.locator('#o-statement').fill('Libraries open on Sundays serve everyone.');
    await form.locator('#o-logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png',
                                                  buffer: png() });
    await Promise.all([them.waitForNavigation(),
                       form.getByRole('button', { name: 'Ask to co-sign' }).click()]);
    assert.equal(new URL(them.url()).pathname, `/c/${slug}/organizations/sent`);
    assert.match(await them.locator('body').innerText(), new RegExp(orgContact));
    const mail = await waitForMail(orgContact);
    const link = /https?:\/\/\S+\/o\/confirm\?t=[A-Za-z0-9_\-.~%]+/.exec(mail.text);
    assert.ok(link, mail.text);
    await them.goto(link[0]);
    await Promise.all([them.waitForNavigation(),
                       them.locator('form[action*="/o/confirm"] button').click()]);
    assert.match(await them.locator('body').innerText(), /the request is confirmed/);
    await coalition.close();
    // Not listed before the organizers approve.
    assert.doesNotMatch(await (await fetch(`${baseUrl}/c/${slug}`)).text(), new RegExp(orgName));
  });

  // From the campaign's console page, by its links: each of the three pages below.
  const openFromCampaign = async (name, label) => {
    await go(`/console/c/${slug}`);
    await submit(page.getByRole('link', { name }));
    await check(label);
  };

  await step('approve the organization, its logo shown first', async () => {
    await openFromCampaign(/^Co-signing organizations/, 'organizations page');
    const waiting = page.locator('section[aria-labelledby="waiting-h"]');
    const row = waiting.locator('li.org', { hasText: orgName });
    assert.equal(await row.count(), 1, await text());
    assert.match(await row.innerText(), new RegExp(orgContact));
    // The logo is there before deciding, and it loads (a re-encoded PNG).
    const logo = row.locator('img.org-logo');
    await logo.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0,
                               await logo.elementHandle(), { timeout: 5000 });
    await submit(row.getByRole('button', { name: `Approve ${orgName}` }));
    assert.match(await text(), /approved/i);
    await check('organizations page (approved)');
    const approved = page.locator('section[aria-labelledby="approved-h"]');
    assert.equal(await approved.locator('li.org', { hasText: orgName }).count(), 1,
                 await text());
    await eventually(async () => (await (await fetch(`${baseUrl}/c/${slug}`)).text())
        .includes(orgName), 'the organization on the campaign page');
    assert.equal((await publicCounts()).organizations, 1);
  });

  await step('send an update: a test to oneself, then to the signers; one-click unsubscribe',
             async () => {
    const subject = 'The council will vote on Sundays';
    await openFromCampaign('Updates to signers', 'updates page');
    const form = page.locator(`form[action="/console/c/${slug}/updates"]`);
    await form.locator('#u-subject').fill(subject);
    await form.locator('#u-body').fill('The council **will vote** on Sunday opening next week.');
    await page.locator('#u-preview strong', { hasText: 'will vote' }).waitFor({ timeout: 10000 });
    await check('updates page with its preview');
    await submit(form.getByRole('button', { name: 'Save as a draft' }));
    assert.match(new URL(page.url()).pathname, new RegExp(`^/console/c/${slug}/updates/\\d+$`));
    await check('update page (draft)');
    // Only Real Person One asked for updates (the flood is invalidated).
    assert.match(await page.locator('dl.console-counts').innerText(),
                 /Would reach now\s+1 signer$/m);

    await submit(page.getByRole('button', { name: 'Send me a test' }));
    await check('update page (test sent)');
    const test = await waitForMail(ADMIN, (m) => m.subject.includes(subject));
    assert.match(test.subject, /test/i);
    assert.match(test.text, /will vote/);

    await page.locator('#u-now').check();
    await submit(page.getByRole('button', { name: 'Send to 1 signer' }));
    await check('update page (sent)');
    const signer = real[1].email;
    const mail = await waitForMail(signer, (m) => m.subject === subject);
    assert.deepEqual(allMail(sink.dir).filter((m) => m.subject.includes(subject))
                         .map((m) => m.rcpt).sort(), [ADMIN, signer].sort(),
                     'the test to oneself and the one signer who asked, nobody else');
    // RFC 8058: a URL to POST "List-Unsubscribe=One-Click" to, without any session.
    const m = /^<(https?:\/\/[^>]+)>$/.exec((mail.headers['list-unsubscribe'] || '').trim());
    assert.ok(m, `List-Unsubscribe: ${mail.headers['list-unsubscribe']}`);
    assert.equal(mail.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click');
    const r = await fetch(m[1], { method: 'POST', body: 'List-Unsubscribe=One-Click',
                                  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                                  redirect: 'manual' });
    const answer = await r.text();
    assert.equal(r.status, 200, answer);
    assert.match(answer, /unsubscribed/);
    // The update's counts say so (sent once the SMTP server took it).
    let row = '';
    await eventually(async () => {
      await go(`/console/c/${slug}/updates`);
      row = (await page.locator('table.console-table tbody tr', { hasText: subject })
          .innerText()).trim();
      const cells = row.split('\t');
      return /^sent\b/.test(cells[1]) && cells.slice(2).join(' ') === '1 1 0 1';
    }, 'the update\'s counts: queued 1, sent 1, failed 0, unsubscribed 1').catch((e) => {
      throw new Error(`${e.message}; the row says: ${row}`);
    });
    await check('updates page (one sent)');
  });

  await step('deliver the letter to its target by email, with its PDF', async () => {
    await openFromCampaign('Deliver the letter to its targets', 'delivery page');
    const shown = await text();
    assert.match(shown, /Pat Council/);
    assert.match(shown, /pat@council\.example/);
    assert.match(shown, new RegExp(orgName));
    assert.match(shown, /\b4\s+confirmed signatures/);
    const pdf = await page.request.get(`${baseUrl}/console/c/${slug}/delivery/letter.pdf`);
    assert.equal(pdf.status(), 200);
    assert.equal((await pdf.body()).subarray(0, 4).toString('latin1'), '%PDF');
    await submit(page.getByRole('button', { name: 'Deliver to 1 target address now' }));
    await check('delivery page (delivered)');
    const mail = await waitForMail('pat@council.example');
    assert.match(mail.subject, new RegExp(title));
    const pdfs = mail.attachments.filter((a) => a.type === 'application/pdf');
    assert.equal(pdfs.length, 1, JSON.stringify(mail.attachments));
    assert.equal(Buffer.from(pdfs[0].head, 'base64').subarray(0, 4).toString('latin1'), '%PDF');
    assert.ok(pdfs[0].size > 1000, `a PDF of ${pdfs[0].size} bytes`);
    await eventually(async () => /Delivered to Pat Council on/.test(
        await (await fetch(`${baseUrl}/c/${slug}`)).text()), 'the delivery on the campaign page');
  });

  await step('the other console pages', async () => {
    await go('/console', 'home');
    assert.match(await text(), new RegExp(title));
    await go(`/console/c/${slug}/members`, 'members page');
    await go(`/console/c/${slug}/actions`, 'record of actions');
    const record = await text();
    for (const act of ['campaign.create', 'campaign.edit']) {
      assert.match(record, new RegExp(act.replace('.', '\\.')), record);
    }
    await go('/console/actions', 'instance record of actions');
  });

  console.log(`axe-core found no serious or critical violation on: ${[...axed].join('; ')}`);
  assert.deepEqual(problems, [], 'console errors (a CSP violation shows up here)');
  await organizer.close();
});
