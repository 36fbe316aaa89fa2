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
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
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
const slug = 'browser-demo';

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

// Spawns a process and resolves with the first stdout match of re (bounded by timeoutMs).
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
    lines.on('line', (l) => {
      log.push(l);
      const m = re.exec(l);
      if (m) {
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

// Reads one .eml with Python's email package (handles quoted-printable and base64 bodies).
const readMail = `
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
body = m.get_body(preferencelist=('plain', 'html'))
print(json.dumps({'to': str(m.get('to', '')), 'rcpt': str(m.get('x-sink-rcpt-to', '')),
                  'subject': str(m.get('subject', '')), 'text': body.get_content()}))
`;

const parsedMail = new Map();  // file name -> parsed mail (files never change once there)

async function waitForMail(dir, to, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Complete files only: sinks write a hidden temporary file first, then rename it.
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'));
    for (const f of names.sort()) {
      if (!parsedMail.has(f)) {
        parsedMail.set(f, JSON.parse(execFileSync(python, ['-c', readMail, path.join(dir, f)],
                                                  { encoding: 'utf8' })));
      }
      const mail = parsedMail.get(f);
      if ((mail.to + ' ' + mail.rcpt).toLowerCase().includes(to.toLowerCase())) return mail;
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Signs and confirms through the plain HTML forms (no browser), as a person without
// JavaScript would: GET the page, POST the form with the CSRF cookie and field, open the link
// from the mail, POST its button. Used to give the page some public signers.
async function signWithoutBrowser(name, email, comment) {
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
  const hidden = (html, action) => {
    const form = new RegExp(`<form[^>]*action="${action}[^"]*"[\\s\\S]*?</form>`).exec(html);
    assert.ok(form, `no form for ${action}`);
    const fields = {};
    for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      fields[m[1]] = m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"');
    }
    return fields;
  };
  const post = (url, fields) => call(url, {
    method: 'POST', body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  const page = await call(`${baseUrl}/c/${slug}`);
  const signed = await post(`${baseUrl}/c/${slug}/sign`, {
    ...hidden(page.text, `/c/${slug}/sign`), name, email, comment, public_name: 'yes' });
  assert.equal(signed.status, 200, signed.text);
  const mail = await waitForMail(sink.dir, email);
  const link = /https?:\/\/\S+\/s\/confirm\?t=[A-Za-z0-9_\-.~%]+/.exec(mail.text)[0];
  const confirmPage = await call(link);
  const done = await post(`${baseUrl}/s/confirm`, hidden(confirmPage.text, '/s/confirm'));
  assert.ok(done.status === 200 || done.status === 303, done.text);
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
  const mailDir = path.join(tmp, 'mail');
  fs.mkdirSync(mailDir);
  const port = await freePort();
  // The mail module's SMTP sink when it exists, else the tests' own (same command line).
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
  // playwright-core launches with a fresh temporary profile (user data dir) every time.
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
  const link = /https?:\/\/\S+\/s\/confirm\?t=[A-Za-z0-9_\-.~%]+/.exec(mail.text);
  assert.ok(link, `no confirm link in the mail:\n${mail.text}`);
  await page.goto(link[0]);
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
