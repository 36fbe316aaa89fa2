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
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.UNDERSIGNED_SOURCE_DIR || path.resolve(here, '..', '..');
const python = '/usr/bin/python3';
const axeSource = fs.readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'),
                                  'utf8');
const slug = 'acme-contract';
const title = 'Acme: drop the border surveillance contract';
const group = 'employees';
const seal = 3;

function findBinary() {
  if (process.env.UNDERSIGNED_BIN) return process.env.UNDERSIGNED_BIN;
  const build = path.join(sourceDir, 'build');
  const found = fs.readdirSync(build)
      .map((d) => path.join(build, d, 'src', 'cli', 'undersigned'))
      .filter((f) => fs.existsSync(f))
      .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  if (!found.length) throw new Error('set UNDERSIGNED_BIN to the undersigned binary');
  return found[found.length - 1];
}
const bin = findBinary();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Spawns a process and resolves with the first stdout match of re (bounded by timeoutMs). All
// its output lines (stdout and stderr) are kept in .log, to search the log for the marker.
function startProcess(cmd, args, re, timeoutMs) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  createInterface({ input: child.stderr }).on('line', (l) => log.push(l));
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no line matching ${re} in ${timeoutMs} ms\n` +
                       log.join('\n')));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited ${code} before starting\n${log.join('\n')}`));
    });
    let started = false;
    lines.on('line', (l) => {
      log.push(l);
      if (started) return;
      const m = re.exec(l);
      if (m) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, match: m, log });
      }
    });
  });
}

function stopProcess(child, timeoutMs = 15000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

// Reads one .eml with Python's email package: envelope recipient, headers, and every text part
// decoded (quoted-printable and base64 undone), so that searches see what a reader sees.
const readMail = `
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
body = m.get_body(preferencelist=('plain', 'html'))
parts = [p.get_content() for p in m.walk() if p.get_content_maintype() == 'text']
headers = '\\n'.join('%s: %s' % (k, v) for k, v in m.items())
print(json.dumps({'rcpt': str(m.get('x-sink-rcpt-to', '')), 'to': str(m.get('to', '')),
                  'subject': str(m.get('subject', '')), 'text': body.get_content(),
                  'everything': headers + '\\n' + '\\n'.join(parts)}))
`;

const parsedMail = new Map();  // file name -> parsed mail (files never change once there)

// Every complete message the sink has written so far, oldest first.
function allMail() {
  // Complete files only: the sink writes a hidden temporary file first, then renames it.
  const names = fs.readdirSync(sink.dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'));
  names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  return names.map((f) => {
    if (!parsedMail.has(f)) {
      const mail = JSON.parse(execFileSync(python, ['-c', readMail, path.join(sink.dir, f)],
                                           { encoding: 'utf8' }));
      mail.raw = fs.readFileSync(path.join(sink.dir, f), 'latin1');
      mail.file = f;
      parsedMail.set(f, mail);
    }
    return parsedMail.get(f);
  });
}

const sentTo = (mail, to) => mail.rcpt.toLowerCase().split(/\s*,\s*/).includes(to.toLowerCase());
const mailTo = (to) => allMail().filter((m) => sentTo(m, to));

// Polls the sink directory until a message to `to` matching `pred` is there (bounded).
async function waitForMail(to, pred = () => true, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = mailTo(to).find(pred);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`no mail to ${to} within ${timeoutMs} ms; the sink has:\n` +
                      allMail().map((m) => `  ${m.rcpt}: ${m.subject}`).join('\n'));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function confirmLink(mail) {
  const m = /https?:\/\/\S+\/s\/confirm\?t=[A-Za-z0-9_\-.~%]+/.exec(mail.text);
  assert.ok(m, `no confirm link in the mail:\n${mail.text}`);
  return m[0];
}

// A small HTTP client with a cookie jar, for the signers who do not use the browser.
function httpClient() {
  const jar = new Map();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const call = async (url, init = {}) => {
    const r = await fetch(url, { ...init, redirect: 'manual',
                                 headers: { ...(init.headers || {}), Cookie: cookieHeader() } });
    for (const c of r.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i).trim(), kv.slice(i + 1));
    }
    return { status: r.status, text: await r.text() };
  };
  const post = (url, fields) => call(url, {
    method: 'POST', body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  return { get: call, post };
}

// The hidden fields (csrf, t) of the form posting to `action` in html.
function hiddenFields(html, action) {
  const form = new RegExp(`<form[^>]*action="${action}[^"]*"[\\s\\S]*?</form>`).exec(html);
  assert.ok(form, `no form for ${action}`);
  const fields = {};
  for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[m[1]] = m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  return fields;
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
  assert.equal(signed.status, 200, signed.text);
  const mail = await waitForMail(workEmail);
  const link = confirmLink(mail);
  const confirmPage = await http.get(link);
  assert.equal(confirmPage.status, 200, confirmPage.text);
  const done = await http.post(`${baseUrl}/s/confirm`,
                               hiddenFields(confirmPage.text, '/s/confirm'));
  assert.ok(done.status === 200 || done.status === 303, done.text);
  return mail;
}

// Runs axe-core in the page. page.evaluate goes through the DevTools protocol, which the
// page's Content-Security-Policy does not govern, so the page keeps its real CSP.
async function axeCheck(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result.violations) {
    console.log(`axe ${label}: [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} nodes)` +
                v.nodes.slice(0, 3).map((n) => `\n    ${n.target.join(' ')}: ${n.failureSummary}`)
                    .join(''));
  }
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact})`), [],
                   `axe found serious or critical violations on the ${label}`);
}

function watchConsole(page, label, problems) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${label}: console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${label}: page error: ${err.message}`));
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
               `domains=acme.example; seal=${seal}`,
    '--status', 'open', '--data', data], { stdio: 'pipe' });
  const mailDir = path.join(tmp, 'mail');
  fs.mkdirSync(mailDir);
  const port = await freePort();
  const sinkScript = [path.join(sourceDir, 'src', 'mail', 'testdata', 'smtp_sink.py'),
                      path.join(sourceDir, 'tests', 'integration', 'smtp_sink.py')]
      .find((f) => fs.existsSync(f));
  sink = await startProcess(python, [sinkScript, '--port', String(port), '--dir', mailDir],
                            /^ready/, 15000);
  sink.dir = mailDir;
  server = await startProcess(bin, ['serve', '--listen', '127.0.0.1:0', '--data', data,
                                    '--smtp', `smtp://127.0.0.1:${port}`],
                              /listening on (http:\/\/\S+)/, 20000);
  baseUrl = server.match[1].replace(/\/$/, '');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  let code = null;
  if (server) code = await stopProcess(server.child);
  if (sink) await stopProcess(sink.child);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  assert.equal(code, 0, 'the server did not exit 0 after SIGTERM');
});

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
  assert.equal(signed.status, 200, signed.text);
  await waitForMail(later);
  assert.deepEqual(mailTo(personal).map((m) => m.subject), [revealed.subject],
                   'the personal address should get exactly one message, the reveal notice');
  assert.equal(mailTo(personal2).length, 1, 'the second sealed signer got more than one notice');

  assert.deepEqual(problems, [], 'console errors (a CSP violation shows up here)');
  await context.close();
});
