// Browser test of an event on a phone (issue 15, part 1): Debian's Chromium (playwright-core) at
// 360 x 740 against the real binary and a real SMTP server. A supporter opens the event's page
// (its private address absent), answers the RSVP form, gets the real mail, confirms with the
// button of the page its link opens, fetches the event's .ics link and checks that it parses
// (a VEVENT with DTSTART;TZID), then cancels from the mail's link. Then a supporter proposes an
// event on a phone, and an organizer approves it in the console, opens the march, its attendee
// list, checks someone in, and prints the list (no buttons). axe-core on every page; no console
// errors.
//
// Run: UNDERSIGNED_BIN=build/x/src/cli/undersigned node --test tests/browser/events.test.mjs
// (after `npm ci` in tests/browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  axeCheck, findBinary, launchBrowser, shutdown, startServer, startSmtpSink, waitForMail,
  watchConsole,
} from './support.mjs';

const bin = findBinary();
const slug = 'protest';
const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true,
                deviceScaleFactor: 1 };

const ADMIN = 'ada@example.org';
const PASSWORD = 'correct horse battery staple';

let tmp;
let data;
let slotId;
let sink;
let server;
let baseUrl;
let browser;

// A local time in Paris a week from now, as a datetime-local field sends it.
function parisLocal(daysAhead, hour) {
  const d = new Date(Date.now() + daysAhead * 86400000);
  const day = d.toISOString().slice(0, 10);
  return `${day}T${String(hour).padStart(2, '0')}:00`;
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'undersigned-events-'));
  data = path.join(tmp, 'data');
  const run = (args) => execFileSync(bin, [...args, '--data', data], { encoding: 'utf8' });
  run(['campaign', 'create', '--slug', slug, '--title', 'Stop the contract',
       '--target', 'Pat Example|Chief Executive Officer|Acme|', '--goal', '100',
       '--demand', 'End the contract.', '--letter', 'We ask you to end the contract.',
       '--status', 'open']);
  const id = run(['event', 'create', slug, '--slug', 'march', '--title', 'March to HQ',
                  '--description', 'Bring **signs** and water.', '--venue', 'Secret Garage',
                  '--address', '12 Hidden Lane', '--private', '--accessibility',
                  'Step-free route; seats at the start.', '--host-name', 'Hana',
                  '--host-email', 'hana@example.org']).trim();
  slotId = run(['event', 'slot', id, '--starts', parisLocal(7, 18), '--ends', parisLocal(7, 20),
                '--time-zone', 'Europe/Paris', '--capacity', '30']).trim();
  execFileSync(bin, ['user', 'create', '--email', ADMIN, '--name', 'Ada', '--role', 'admin',
                     '--password-stdin', '--data', data], { input: `${PASSWORD}\n` });
  sink = await startSmtpSink(path.join(tmp, 'mail'));
  server = await startServer(bin, data, sink);
  baseUrl = server.baseUrl;
  browser = await launchBrowser();
});

after(() => shutdown({ browser, server, sink, tmp }));

test('RSVP on a phone, confirm from the mail, add to the calendar, cancel',
     { timeout: 120000 }, async () => {
  const problems = [];
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  watchConsole(page, 'events', problems);
  const email = `marcher-${crypto.randomBytes(5).toString('hex')}@example.org`;

  await page.goto(`${baseUrl}/c/${slug}/agenda`);
  await axeCheck(page, 'events listing');
  await page.click('a[href="/c/protest/events/march"]');
  await page.waitForURL(/\/events\/march$/);
  await axeCheck(page, 'event page on a phone');
  const body = await page.textContent('body');
  assert.match(body, /The address is sent to confirmed attendees/);
  assert.ok(!body.includes('Hidden Lane'), 'the private address is on the public page');
  assert.match(body, /\(Europe\/Paris\)/);
  assert.match(body, /30 places left/);
  assert.match(body, /Step-free route/);

  // A mistake first: the page answers with the error and keeps what was typed.
  await page.fill('#rsvp-name', 'Ada Marcher');
  await page.fill('#rsvp-email', 'not-an-address');
  await page.fill('#rsvp-guests', '1');
  await page.click('form[action$="/rsvp"] button[type=submit]');
  await page.waitForSelector('.error-summary');
  await axeCheck(page, 'event page with an error');
  assert.equal(await page.inputValue('#rsvp-name'), 'Ada Marcher');
  assert.equal(await page.inputValue('#rsvp-guests'), '1');
  await page.fill('#rsvp-email', email);
  await page.click('form[action$="/rsvp"] button[type=submit]');
  await page.waitForSelector('h1:has-text("Check your email")');
  await axeCheck(page, 'check your email');

  // The real mail; its link opens a page with a button.
  const mail = await waitForMail(path.join(tmp, 'mail'),
                                 (m) => m.rcpt === email && /confirm/i.test(m.subject),
                                 'the RSVP confirmation mail', 30000);
  assert.ok(!mail.text.includes('Hidden Lane'), 'the address is in an unconfirmed mail');
  const confirm = /https?:\/\/\S+\/confirm\?t=\S+/.exec(mail.text)[0];
  await page.goto(confirm);
  await axeCheck(page, 'confirm page');
  await page.click('form button[type=submit]');
  await page.waitForSelector('h1:has-text("You are coming")');
  await axeCheck(page, 'confirmed page');
  assert.match(await page.textContent('body'), /12 Hidden Lane/);

  // Add to calendar: the event page's .ics link parses, with the zone.
  await page.goto(`${baseUrl}/c/${slug}/events/march`);
  assert.match(await page.textContent('body'), /29 places left|28 places left/);
  const href = await page.getAttribute('a[href$="calendar.ics"]', 'href');
  const ics = await page.request.get(new URL(href, baseUrl).toString());
  assert.equal(ics.status(), 200);
  assert.match(ics.headers()['content-type'], /^text\/calendar/);
  const text = await ics.text();
  assert.match(text, /^BEGIN:VCALENDAR\r\n/);
  assert.match(text, /BEGIN:VEVENT\r\n[\s\S]*DTSTART;TZID=Europe\/Paris:\d{8}T180000\r\n/);
  assert.match(text, /BEGIN:VTIMEZONE\r\nTZID:Europe\/Paris/);
  assert.match(text, /END:VEVENT\r\nEND:VCALENDAR\r\n$/);
  assert.ok(!text.includes('Hidden Lane'), 'the public calendar has the private address');

  // Cancel from the mail's link: a page with a button.
  const cancel = /https?:\/\/\S+\/cancel\?t=\S+/.exec(mail.text)[0];
  await page.goto(cancel);
  await axeCheck(page, 'cancel page');
  await page.click('form button[type=submit]');
  await page.waitForSelector('h1:has-text("Your place is cancelled")');
  await axeCheck(page, 'cancelled page');
  await page.goto(`${baseUrl}/c/${slug}/events/march`);
  assert.match(await page.textContent('body'), /30 places left/);

  await context.close();
  // Chromium logs the deliberate mistake's answer (the form again, with status 422) as a
  // resource that failed to load; anything else is a problem.
  const expected = /Failed to load resource: the server responded with a status of 422/;
  assert.deepEqual(problems.filter((p) => !expected.test(p)), []);
  assert.equal(problems.length, 1, 'the 422 answer was not seen');
});

test('a supporter proposes an event; an organizer approves it and checks people in',
     { timeout: 120000 }, async () => {
  const problems = [];
  // The supporter, on a phone.
  const phoneContext = await browser.newContext(phone);
  const supporter = await phoneContext.newPage();
  watchConsole(supporter, 'supporter', problems);
  await supporter.goto(`${baseUrl}/c/${slug}/propose-event`);
  await axeCheck(supporter, 'proposal form on a phone');
  await supporter.fill('#p-title', 'Picnic for the letter');
  await supporter.fill('#p-venue', 'The park');
  await supporter.fill('#p-address', '1 Green Road');
  await supporter.fill('#p-starts', parisLocal(9, 12));
  await supporter.fill('#p-ends', parisLocal(9, 14));
  await supporter.fill('#p-time_zone', 'Europe/Paris');
  await supporter.fill('#p-host_name', 'Pia');
  await supporter.fill('#p-host_email', 'pia@example.org');
  await supporter.click('form[action$="/propose-event"] button[type=submit]');
  await supporter.waitForSelector('h1:has-text("an organizer will review it")');
  await axeCheck(supporter, 'proposal sent');
  await phoneContext.close();

  // A trusted RSVP to the march, from the command line beside the server.
  execFileSync(bin, ['event', 'rsvp', slug, 'march', '--slot', slotId, '--name', 'Grace Hopper',
                     '--email', 'grace@example.org', '--trusted', '--data', data]);

  // The organizer, at a desk.
  const desk = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await desk.newPage();
  watchConsole(page, 'organizer', problems);
  await page.goto(`${baseUrl}/console/sign-in`);
  await page.fill('#s-email', ADMIN);
  await page.fill('#s-password', PASSWORD);
  await Promise.all([page.waitForNavigation(),
                     page.click('form[action="/console/sign-in"] button[type=submit]')]);
  await page.goto(`${baseUrl}/console/c/${slug}/events`);
  await axeCheck(page, 'console events');
  assert.match(await page.textContent('body'), /awaits approval/);
  await Promise.all([page.waitForNavigation(),
                     page.click('button:has-text("Approve and list")')]);
  assert.match(await page.textContent('body'), /The event is now listed/);
  const listing = await (await fetch(`${baseUrl}/c/${slug}/agenda`)).text();
  assert.ok(listing.includes('Picnic for the letter'), 'the approved event is not listed');

  await page.click('a:has-text("March to HQ")');
  await page.waitForURL(/\/console\/c\/protest\/events\/\d+$/);
  await axeCheck(page, 'console event form');
  assert.equal(await page.inputValue('#e-address'), '12 Hidden Lane');
  await page.click('a[href$="/attendees"]');
  await page.waitForURL(/\/attendees$/);
  await axeCheck(page, 'attendee list');
  assert.match(await page.textContent('body'), /Grace Hopper/);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Check in")')]);
  assert.match(await page.textContent('body'), /1 checked in/);
  await axeCheck(page, 'attendee list after a check-in');
  // Printed: the buttons and the navigation are left out, the names stay.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('.attendee-sheet form'), false);
  assert.equal(await page.isVisible('.console-nav'), false);
  assert.equal(await page.isVisible('text=Grace Hopper'), true);
  await desk.close();
  assert.deepEqual(problems, []);
});
