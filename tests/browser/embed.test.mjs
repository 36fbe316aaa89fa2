// Browser test of the embeds (src/http/pages/embed.h): another site's page, on another site
// for the browser (http://localhost:<port> frames http://127.0.0.1:<port>, so our cookies are a
// third party's there), under its own strict Content-Security-Policy that allows nothing but our
// frames, pastes the iframes oEmbed hands out. On a phone's width, a visitor signs in the widget
// (the demo campaign: a group to choose, name, address), reads "check your email" in the frame,
// confirms from the real mail in a tab of its own, and the live counter in the other frame moves
// to the new count without a reload. No console errors (so no CSP violation on either side),
// axe-core on the host page and inside each frame.
//
// Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned node --test tests/browser/embed.test.mjs
// (after `npm ci` in tests/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  axeCheck, confirmLink, findBinary, freePort, launchBrowser, shutdown, startProcess,
  startSmtpSink, waitForMail, watchConsole,
} from './support.mjs';

const bin = findBinary();
const slug = 'demo';
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                deviceScaleFactor: 1 };

let tmp;
let sink;
let server;
let baseUrl;
let browser;
let host;  // the other site: a Node HTTP server on localhost
let hostUrl;

async function oembed(url) {
  const r = await fetch(`${baseUrl}/oembed?format=json&url=${encodeURIComponent(url)}`);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return JSON.parse(text);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'undersigned-embed-'));
  sink = await startSmtpSink(path.join(tmp, 'mail'));
  const port = await freePort();
  server = await startProcess(bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`,
                                    '--data', path.join(tmp, 'data'),
                                    '--smtp', `smtp://127.0.0.1:${sink.port}`],
                              /listening on (http:\/\/\S+)/, 20000);
  baseUrl = server.match[1].replace(/\/$/, '');
  browser = await launchBrowser();

  // The other site's page: what its editor pasted, nothing else. Its policy allows no script,
  // no style and no frame but ours.
  const widget = await oembed(`${baseUrl}/c/${slug}`);
  const counter = await oembed(`${baseUrl}/c/${slug}/embed/count`);
  const page = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>Union news</title></head><body><main><h1>Union news</h1>' +
      `<p>Our members back the letter.</p>${counter.html}<p>Sign it here:</p>${widget.html}` +
      '</main></body></html>';
  host = http.createServer((req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; frame-src ${baseUrl}`,
    });
    res.end(page);
  });
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://localhost:${host.address().port}/`;
});

after(async () => {
  if (host) await new Promise((resolve) => host.close(resolve));
  await shutdown({ browser, server, sink, tmp });
});

test('another site frames the widget and the counter; a visitor signs in the frame',
     { timeout: 120000 }, async () => {
  const problems = [];
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  watchConsole(page, 'host page', problems);
  await page.goto(hostUrl);

  const widgetFrame = page.frameLocator(`iframe[src="${baseUrl}/c/${slug}/embed"]`);
  const counterFrame = page.frameLocator(`iframe[src="${baseUrl}/c/${slug}/embed/count"]`);
  // Both frames loaded (frame-ancestors allowed them) and show the count.
  const counted = counterFrame.locator('[data-count]');
  await counted.waitFor({ timeout: 15000 });
  const before = Number((await counted.textContent()).replace(/,/g, ''));
  const form = widgetFrame.locator(`form[action="/c/${slug}/embed/sign"]`);
  await form.waitFor({ timeout: 15000 });
  await axeCheck(page, 'host page with the embeds');
  for (const f of page.frames()) {
    if (f.url().startsWith(`${baseUrl}/c/${slug}/embed`)) {
      await axeCheck(f, `frame ${f.url()}`);
    }
  }

  // A mistake the browser cannot see first (a name with a direction override): the form comes
  // back in the frame as typed.
  const email = `framed-${Date.now()}@example.org`;
  await form.locator('input[name="group"][value="public"]').check();
  await form.locator('#f-name').fill('Frame \u202ErengiS');
  await form.locator('#f-email').fill(email);
  await form.locator('button[type="submit"]').click();
  const again = widgetFrame.locator(`form[action="/c/${slug}/embed/sign"]`);
  await widgetFrame.locator('[aria-invalid="true"]').first().waitFor({ timeout: 15000 });
  assert.equal(await again.locator('#f-email').inputValue(), email);
  await again.locator('input[name="group"][value="public"]').check();
  await again.locator('#f-name').fill('Frame Signer');
  await again.locator('button[type="submit"]').click();
  const heading = widgetFrame.locator('h1');
  await heading.filter({ hasText: 'Check your email' }).waitFor({ timeout: 15000 });
  assert.ok((await widgetFrame.locator('body').textContent()).includes(email));
  assert.equal(page.url(), hostUrl, 'the host page stayed where it was');

  // The mail came; its link, opened on our site, confirms.
  const mail = await waitForMail(sink.dir, (m) => m.rcpt.includes(email), `mail to ${email}`,
                                 15000);
  const tab = await context.newPage();
  await tab.goto(confirmLink(mail));
  const button = tab.locator('form[action*="/s/confirm"]')
      .locator('button, input[type="submit"]').first();
  await Promise.all([tab.waitForLoadState('load'), button.click()]);

  // The counter in the other site's page moves by itself.
  const next = String(before + 1).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  await counterFrame.locator('[data-count]').filter({ hasText: next })
      .waitFor({ timeout: 15000 });
  await page.screenshot({ path: path.join(process.cwd(), 'embed-phone.png'), fullPage: true });
  // The form sent back with its mistake is a 422, which Chromium reports as a failed load.
  assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
  await context.close();
});
