// Browser test of signer groups: Debian's Chromium driven by playwright-core against the real
// binary and a real SMTP server. A campaign declares an employees group (proven by an address at
// acme.example, names may be sealed until 3 verified employees sign). In the browser: choose the
// group, give a unique marker name, a personal address and a work address, keep the name sealed
// until 3; the neutral verify mail reaches the work address (no campaign title, no name); its
// link and button verify. Until two more employees are verified the marker appears nowhere (page
// bytes, rendered page, JSON, mail); then it shows on the campaign page, and the personal
// address gets the "revealed" mail exactly once. axe-core checks the form with its group
// sections, the work-address page and the verify pages (no serious or critical violations).
//
// Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned node --test tests/browser/groups.test.mjs
// (after `npm ci` in tests/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  allMail, assertSigned, axeCheck, confirmLink, findBinary, hiddenFields, httpClient,
  launchBrowser, shutdown, startServer, startSmtpSink, waitForMail as waitForSinkMail, watchConsole,
} from './support.mjs';

const slug = 'acme-contract';
const title = 'Acme: drop the border surveillance contract';
const group = 'employees';
const seal = 3;
const bin = findBinary();

const sentTo = (mail, to) => mail.rcpt.toLowerCase().split(/\s*,\s*/).includes(to.toLowerCase());
const mailTo = (to) => allMail(sink.dir).filter((m) => sentTo(m, to));

// Polls the sink directory until a message to `to` matching `pred` is there (bounded).
function waitForMail(to, pred = () => true, timeoutMs = 10000) {
  return waitForSinkMail(sink.dir, (m) => sentTo(m, to) && pred(m), `mail to ${to}`, timeoutMs);
}

// Signs as a verified employee through the plain HTML form (no browser, as without JavaScript),
// then follows the link of the verify mail and presses its button. Returns the verify mail.
async function signAsEmployee({ name, email, workEmail, visibility }) {
  const http = httpClient();
  const page = await http.get(`${baseUrl}/c/${slug}`);
  assert.equal(page.status, 200);
  const fields = { ...hiddenFields(page.text, `/c/${slug}/sign`), group, work_email: workEmail,
                   name, visibility };
  if (email) fields.email = email;
  const signed = await http.post(`${baseUrl}/c/${slug}/sign`, fields);
  assertSigned(signed);
  const mail = await waitForMail(workEmail);
  const link = confirmLink(mail);
  const confirmPage = await http.get(link);
  assert.equal(confirmPage.status, 200, confirmPage.text);
  const done = await http.post(`${baseUrl}/s/confirm`,
                               hiddenFields(confirmPage.text, '/s/confirm'));
  assert.ok(done.status === 200 || done.status === 303, done.text);
  return mail;
}

let tmp;
let sink;
let server;
let baseUrl;
let browser;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'undersigned-groups-'));
  const data = path.join(tmp, 'data');
  execFileSync(bin, ['campaign', 'create', '--slug', slug, '--title', title,
    '--target', 'Pat Example|Chief Executive Officer|Acme|',
    '--goal', '100', '--demand', 'End the contract and say so publicly.',
    '--letter', 'We, the people of Acme, ask you to **end the contract**.',
    '--group', 'kind=public; key=public; name=Everyone else',
    '--group', `kind=employees; key=${group}; name=Acme employees; organization=Acme; ` +
               `domains=acme.example; seal=${seal}`, '--anonymity-floor', String(seal),
    '--status', 'open', '--data', data], { stdio: 'pipe' });
  sink = await startSmtpSink(path.join(tmp, 'mail'));
  server = await startServer(bin, data, sink);
  baseUrl = server.baseUrl;
  browser = await launchBrowser();
});

after(() => shutdown({ browser, server, sink, tmp }));

test('verified employee with a sealed name, and the reveal', { timeout: 60000 }, async () => {
  const problems = [];
  const id = crypto.randomBytes(6).toString('hex');
  const marker = `SEALED-${id}`;
  const otherMarker = `SEALED-OTHER-${id}`;
  const personal = `personal-${id}@example.org`;
  const work = `worker-${id}@acme.example`;
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  watchConsole(page, 'signer', problems);

  // Nowhere public: the bytes of the page and of its JSON, the page as rendered, the log.
  const assertSealed = async (name, when) => {
    const html = await (await fetch(`${baseUrl}/c/${slug}`)).text();
    assert.ok(html.includes(title), 'the campaign page did not load');
    assert.ok(!html.includes(name), `${when}: the sealed name is in the campaign page`);
    const json = await (await fetch(`${baseUrl}/c/${slug}.json`)).text();
    assert.ok(!json.includes(name), `${when}: the sealed name is in /c/${slug}.json`);
    const viewer = await context.newPage();
    await viewer.goto(`${baseUrl}/c/${slug}`);
    assert.ok(!(await viewer.content()).includes(name),
              `${when}: the sealed name is in the page the browser shows`);
    await viewer.close();
    assert.ok(!server.log.some((l) => l.includes(name)), `${when}: the sealed name is in the log`);
  };

  // The form: the employees group's section shows once that group is chosen.
  await page.goto(`${baseUrl}/c/${slug}`);
  const form = page.locator(`form[action*="/c/${slug}/sign"]`);
  const groupRadio = form.locator(`input[name="group"][value="${group}"]`);
  const workField = form.locator(`#f-work_email-${group}`);
  const sealedChoice = form.locator(`#f-visibility-sealed-${seal}-${group}`);
  await groupRadio.check();
  await workField.waitFor({ state: 'visible', timeout: 5000 });
  await sealedChoice.waitFor({ state: 'visible', timeout: 5000 });
  await axeCheck(page, 'sign form with the employees section');

  await form.locator('#f-name').fill(marker);
  await form.locator('#f-email').fill(personal);
  await workField.fill(work);
  await sealedChoice.check();
  await Promise.all([
    page.waitForNavigation(),
    form.locator('button[type="submit"]').click(),
  ]);
  const checkText = await page.locator('body').innerText();
  assert.match(checkText, /work mailbox/i, 'not the "check your work email" page');
  assert.ok(checkText.includes(work), 'the page does not say where the link went');
  await axeCheck(page, 'check-your-work-email page');

  // The neutral verify mail, at the work address: no campaign, no name.
  const verify = await waitForMail(work);
  for (const secret of [title, slug, marker, personal, 'Acme']) {
    assert.ok(!verify.everything.includes(secret), `the verify mail names "${secret}":\n` +
              verify.everything);
  }
  // (The raw bytes too, for the long strings; a short one could occur in base64 by chance.)
  for (const secret of [title, marker, personal]) {
    assert.ok(!verify.raw.includes(secret), `the verify mail's bytes hold "${secret}"`);
  }
  const link = confirmLink(verify);

  await page.goto(link);
  const linkPage = await page.content();
  assert.ok(!linkPage.includes(title) && !linkPage.includes(marker),
            'the page behind the work-address link names the campaign or the signer');
  await axeCheck(page, 'verify page');
  const button = page.locator('form[action*="/s/confirm"] button[type="submit"]');
  await Promise.all([page.waitForNavigation(), button.click()]);
  const verified = await page.locator('body').innerText();
  assert.match(verified, /verified as working at Acme/, verified);
  assert.match(verified, new RegExp(`sealed until ${seal} verified employees`), verified);
  assert.ok(!verified.includes(marker), 'the verified page shows the sealed name');
  await axeCheck(page, 'verified page');

  await assertSealed(marker, 'after verifying');
  assert.equal(mailTo(personal).length, 0, 'the personal address got mail before the reveal');

  // A second employee seals their name too; still two verified, so still sealed.
  const personal2 = `personal2-${id}@example.org`;
  await signAsEmployee({ name: otherMarker, email: personal2,
                         workEmail: `worker2-${id}@acme.example`, visibility: `sealed-${seal}` });
  await assertSealed(marker, 'with two verified');
  await assertSealed(otherMarker, 'with two verified');

  // The third verified employee (name not shown) reaches the threshold: both names appear.
  await signAsEmployee({ name: `Third ${id}`, workEmail: `worker3-${id}@acme.example`,
                         visibility: 'private' });
  const shownBy = Date.now() + 5000;  // the recent signers may be cached for a moment
  for (;;) {
    await page.goto(`${baseUrl}/c/${slug}`);
    const text = await page.locator('body').innerText();
    if (text.includes(marker) && text.includes(otherMarker)) break;
    assert.ok(Date.now() < shownBy, `the revealed names are not on the campaign page:\n${text}`);
    await page.waitForTimeout(100);
  }

  // Each sealed signer is told at their personal address.
  const revealed = await waitForMail(personal, (m) => /now shown/i.test(m.subject));
  assert.ok(revealed.text.includes(title), revealed.text);
  assert.ok(revealed.text.includes(`/c/${slug}`), revealed.text);
  await waitForMail(personal2, (m) => /now shown/i.test(m.subject));
  // Exactly once: a later message goes through the same outbox; once it has arrived, a
  // second notice sent with or after the first would have too.
  const later = `later-${id}@example.org`;
  const http = httpClient();
  const form2 = await http.get(`${baseUrl}/c/${slug}`);
  const signed = await http.post(`${baseUrl}/c/${slug}/sign`, {
    ...hiddenFields(form2.text, `/c/${slug}/sign`), group: 'public', name: 'Later Signer',
    email: later, visibility: 'public' });
  assertSigned(signed);
  await waitForMail(later);
  assert.deepEqual(mailTo(personal).map((m) => m.subject), [revealed.subject],
                   'the personal address should get exactly one message, the reveal notice');
  assert.equal(mailTo(personal2).length, 1, 'the second sealed signer got more than one notice');

  assert.deepEqual(problems, [], 'console errors (a CSP violation shows up here)');
  await context.close();
});
