// Shared support for the browser tests (sign.test.mjs, groups.test.mjs): finds the undersigned
// binary, starts and stops processes (the server, the SMTP sink), reads the mail the sink
// received (parsed by Python's email package), a small HTTP client with a cookie jar for signers
// who do not use the browser, launches Debian's Chromium, runs axe-core in a page and collects
// console errors. Not a test itself (node --test runs only the *.test.mjs files).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.UNDERSIGNED_SOURCE_DIR || path.resolve(here, '..', '..');
const python = '/usr/bin/python3';
const axeSource = fs.readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'),
                                  'utf8');

// UNDERSIGNED_BIN, else the newest build/*/src/cli/undersigned of the source tree.
export function findBinary() {
  if (process.env.UNDERSIGNED_BIN) return process.env.UNDERSIGNED_BIN;
  const build = path.join(sourceDir, 'build');
  const found = fs.readdirSync(build)
      .map((d) => path.join(build, d, 'src', 'cli', 'undersigned'))
      .filter((f) => fs.existsSync(f))
      .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  if (!found.length) throw new Error('set UNDERSIGNED_BIN to the undersigned binary');
  return found[found.length - 1];
}

export function freePort() {
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
// its output lines (stdout and stderr) are kept in .log, to search the log afterwards. env is
// added to this process's environment.
export function startProcess(cmd, args, re, timeoutMs, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'],
                                   env: { ...process.env, ...env } });
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

// SIGTERM, then SIGKILL after timeoutMs; resolves with the exit code.
export function stopProcess(child, timeoutMs = 15000) {
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

// Starts the SMTP sink writing into mailDir (a fresh directory): the mail module's sink when it
// exists, else the integration tests' own (same command line). The result has .child, .log,
// .port and .dir.
export async function startSmtpSink(mailDir) {
  fs.mkdirSync(mailDir);
  const port = await freePort();
  const sinkScript = [path.join(sourceDir, 'src', 'mail', 'testdata', 'smtp_sink.py'),
                      path.join(sourceDir, 'tests', 'integration', 'smtp_sink.py')]
      .find((f) => fs.existsSync(f));
  const sink = await startProcess(python, [sinkScript, '--port', String(port), '--dir', mailDir],
                                  /^ready/, 15000);
  sink.port = port;
  sink.dir = mailDir;
  return sink;
}

// Starts `bin serve` on a free port with the data directory and the sink as its SMTP server.
// The result has .child, .log (every output line) and .baseUrl (no trailing slash). env adds
// to the server's environment (UNDERSIGNED_* settings, as config.cc names them).
export async function startServer(bin, data, sink, env = {}) {
  const server = await startProcess(bin, ['serve', '--listen', '127.0.0.1:0', '--data', data,
                                          '--smtp', `smtp://127.0.0.1:${sink.port}`],
                                    /listening on (http:\/\/\S+)/, 20000, env);
  server.baseUrl = server.match[1].replace(/\/$/, '');
  return server;
}

// Debian's Chromium, headless. playwright-core launches with a fresh temporary profile (user
// data dir) every time.
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The common teardown: closes the browser, stops the server and the sink, removes tmp, and
// asserts that the server exited 0 on SIGTERM. Any of them may be undefined (a failed start).
export async function shutdown({ browser, server, sink, tmp }) {
  if (browser) await browser.close();
  let code = null;
  if (server) code = await stopProcess(server.child);
  if (sink) await stopProcess(sink.child);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  assert.equal(code, 0, 'the server did not exit 0 after SIGTERM');
}

// Reads one .eml with Python's email package: envelope recipient, headers (also as .headers,
// lower-case names), the body, every text part decoded (quoted-printable and base64 undone), so
// that searches see what a reader sees, and the attachments (.attachments: type, filename,
// size and their first bytes, base64).
const readMail = `
import base64, email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
body = m.get_body(preferencelist=('plain', 'html'))
parts = [p.get_content() for p in m.walk() if p.get_content_maintype() == 'text']
headers = '\\n'.join('%s: %s' % (k, v) for k, v in m.items())
attachments = []
for a in m.iter_attachments():
    data = a.get_payload(decode=True) or b''
    attachments.append({'type': a.get_content_type(), 'filename': a.get_filename() or '',
                        'size': len(data), 'head': base64.b64encode(data[:16]).decode()})
print(json.dumps({'rcpt': str(m.get('x-sink-rcpt-to', '')), 'to': str(m.get('to', '')),
                  'subject': str(m.get('subject', '')), 'text': body.get_content(),
                  'headers': {k.lower(): str(v) for k, v in m.items()},
                  'attachments': attachments,
                  'everything': headers + '\\n' + '\\n'.join(parts)}))
`;

const parsedMail = new Map();  // file path -> parsed mail (files never change once there)

// Every complete message in the sink directory dir so far, oldest first: {rcpt, to, subject,
// text, headers, attachments, everything, raw (the bytes as latin1), file}.
export function allMail(dir) {
  // Complete files only: the sink writes a hidden temporary file first, then renames it.
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'));
  names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  return names.map((f) => {
    const file = path.join(dir, f);
    if (!parsedMail.has(file)) {
      const mail = JSON.parse(execFileSync(python, ['-c', readMail, file], { encoding: 'utf8' }));
      mail.raw = fs.readFileSync(file, 'latin1');
      mail.file = f;
      parsedMail.set(file, mail);
    }
    return parsedMail.get(file);
  });
}

// Polls the sink directory dir until a message satisfying pred is there (bounded); `what` names
// it in the error.
export async function waitForMail(dir, pred, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = allMail(dir).find(pred);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`no ${what} within ${timeoutMs} ms; the sink has:\n` +
                      allMail(dir).map((m) => `  ${m.rcpt}: ${m.subject}`).join('\n'));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The confirmation link (<base>/s/confirm?t=...) in a mail.
export function confirmLink(mail) {
  const m = /https?:\/\/\S+\/s\/confirm\?t=[A-Za-z0-9_\-.~%]+/.exec(mail.text);
  assert.ok(m, `no confirm link in the mail:\n${mail.text}`);
  return m[0];
}

// A small HTTP client with a cookie jar, for the signers who do not use the browser. Redirects
// are not followed; get and post resolve with {status, location, text}. headers go with every
// request (e.g. X-Forwarded-For, to a server started with trust_proxy).
export function httpClient(headers = {}) {
  const jar = new Map();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const call = async (url, init = {}) => {
    const r = await fetch(url, { ...init, redirect: 'manual',
                                 headers: { ...headers, ...(init.headers || {}),
                                            Cookie: cookieHeader() } });
    for (const c of r.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i).trim(), kv.slice(i + 1));
    }
    return { status: r.status, location: r.headers.get('location'), text: await r.text() };
  };
  const post = (url, fields) => call(url, {
    method: 'POST', body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  return { get: call, post };
}

// Asserts that a POST of the sign form signed: answered 303 to the "check your email" page
// (post/redirect/get; a form with errors goes back to /c/<slug>/sign instead).
export function assertSigned(r) {
  assert.equal(r.status, 303, r.text);
  assert.match(r.location || '', /\/c\/[^/]+\/sent$/, `redirected to ${r.location}`);
}

// The hidden fields (csrf, t) of the form posting to `action` in html.
export function hiddenFields(html, action) {
  const form = new RegExp(`<form[^>]*action="${action}[^"]*"[\\s\\S]*?</form>`).exec(html);
  assert.ok(form, `no form for ${action}`);
  const fields = {};
  for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[m[1]] = m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  return fields;
}

// Runs axe-core in the page. page.evaluate goes through the DevTools protocol, which the
// page's Content-Security-Policy does not govern, so the page keeps its real CSP.
export async function axeCheck(page, label) {
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

// Pushes the page's console errors and uncaught exceptions onto problems.
export function watchConsole(page, label, problems) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${label}: console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${label}: page error: ${err.message}`));
}
