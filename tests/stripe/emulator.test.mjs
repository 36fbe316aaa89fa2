// Keeps the Stripe emulator honest: Stripe's official Node library (npm `stripe`) talks to it as
// it would talk to Stripe, parses its answers and errors into its own types, and verifies the
// webhooks it signs with constructEvent. Run: node --test emulator.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import Stripe from 'stripe';

import { API_VERSION, Emulator, decodeForm } from './emulator.mjs';

const KEY = 'sk_test_emulator_4eC39HqLyjWDarjtT1zdp7dc';
const WHSEC = 'whsec_emulator_test_secret';

// A webhook endpoint that keeps each delivery's raw body and Stripe-Signature header.
function startReceiver() {
  const received = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    received.push({ body: Buffer.concat(chunks), signature: req.headers['stripe-signature'] });
    res.writeHead(200).end('{}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, received, port: server.address().port })),
  );
}

let emulator;
let receiver;
let stripe;
let base;

async function flush() {
  const r = await fetch(`${base}/_emulator/webhooks/flush`, { method: 'POST' });
  assert.equal(r.status, 200);
}

async function state() {
  return (await fetch(`${base}/_emulator/state`)).json();
}

async function complete(sessionId, card) {
  const r = await fetch(`${base}/_emulator/checkout/sessions/${sessionId}/complete`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `card=${card}`,
  });
  return { status: r.status, body: await r.json() };
}

// Every event delivered so far, verified by the library (throws on a bad signature).
function verifiedEvents() {
  return receiver.received.map((d) => stripe.webhooks.constructEvent(d.body, d.signature, WHSEC));
}

before(async () => {
  receiver = await startReceiver();
  emulator = new Emulator({
    apiKey: KEY,
    webhookUrl: `http://127.0.0.1:${receiver.port}/webhooks/stripe`,
    webhookSecret: WHSEC,
  });
  const port = await emulator.listen(0);
  base = `http://127.0.0.1:${port}`;
  stripe = new Stripe(KEY, {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
});

after(async () => {
  await emulator.close();
  receiver.server.close();
  receiver.server.closeAllConnections();
});

describe('form decoding', () => {
  test('nested objects and indexed arrays, as the library encodes them', () => {
    assert.deepEqual(
      decodeForm(
        'mode=payment&line_items[0][price_data][currency]=usd&line_items[0][quantity]=1' +
          '&metadata[pledge_id]=p%2042&metadata[note]=a%26b%3Dc&line_items%5B1%5D%5Bquantity%5D=2',
      ),
      {
        mode: 'payment',
        line_items: [{ price_data: { currency: 'usd' }, quantity: '1' }, { quantity: '2' }],
        metadata: { pledge_id: 'p 42', note: 'a&b=c' },
      },
    );
  });
});

describe('requests the library makes', () => {
  test('carry the pinned version, the idempotency key and form encoding', async () => {
    await stripe.customers.create({ email: 'a@example.org', metadata: { our_id: '7' } },
      { idempotencyKey: 'undersigned:test:customer:7' });
    const r = emulator.requests.at(-1);
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/customers');
    assert.equal(r.idempotency_key, 'undersigned:test:customer:7');
    assert.equal(r.stripe_version, API_VERSION);
    assert.equal(r.content_type, 'application/x-www-form-urlencoded');
    assert.equal(r.body, 'email=a%40example.org&metadata[our_id]=7');
  });

  test('a wrong API key is the library\'s StripeAuthenticationError', async () => {
    const bad = new Stripe('sk_test_wrong', {
      host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0,
    });
    await assert.rejects(bad.customers.create({}), (e) => {
      assert.equal(e.type, 'StripeAuthenticationError');
      assert.equal(e.statusCode, 401);
      return true;
    });
  });
});

// requests.json: for each operation undersigned's C++ client makes, the library's parameters
// and the exact body the library sends. stripe_provider_test.cc checks that the C++ client
// sends the same bytes for the same operation; this checks the library still sends them.
describe('request fixtures shared with the C++ client', () => {
  const fixtures = JSON.parse(readFileSync(new URL('./requests.json', import.meta.url), 'utf8'));
  for (const [name, f] of Object.entries(fixtures)) {
    test(`${name}: the library sends exactly the recorded body`, async () => {
      const parts = f.call.split('.');
      const method = parts.pop();
      const resource = parts.reduce((o, p) => o[p], stripe);
      await resource[method](f.params, { idempotencyKey: f.idempotency_key }).catch(() => {});
      const r = emulator.requests.at(-1);
      assert.equal(r.path, f.path);
      assert.equal(r.idempotency_key, f.idempotency_key);
      assert.equal(r.body, f.body);
    });
  }
});

describe('Checkout Sessions', () => {
  test('payment mode: the donor pays, signed webhooks follow', async () => {
    const before = receiver.received.length;
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [
          {
            price_data: { currency: 'usd', unit_amount: 2500, product_data: { name: 'Gift' } },
            quantity: 1,
          },
        ],
        success_url: 'https://sign.example.org/f/x/thanks?session={CHECKOUT_SESSION_ID}',
        cancel_url: 'https://sign.example.org/f/x',
        customer_email: 'donor@example.org',
        metadata: { fundraiser_id: '12', donation_id: '34' },
        payment_intent_data: { metadata: { donation_id: '34' } },
      },
      { idempotencyKey: 'undersigned:donation:34:checkout' },
    );
    assert.match(session.id, /^cs_test_/);
    assert.equal(session.mode, 'payment');
    assert.equal(session.status, 'open');
    assert.equal(session.amount_total, 2500);
    assert.equal(session.success_url, `https://sign.example.org/f/x/thanks?session=${session.id}`);
    assert.deepEqual(session.metadata, { fundraiser_id: '12', donation_id: '34' });

    const done = await complete(session.id, '4242424242424242');
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'complete');
    assert.equal(done.body.payment_status, 'paid');
    await flush();
    const events = verifiedEvents().slice(before);
    assert.deepEqual(
      events.map((e) => e.type),
      ['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded'],
    );
    assert.equal(events[0].data.object.id, session.id);
    assert.deepEqual(events[0].data.object.metadata, { fundraiser_id: '12', donation_id: '34' });
    assert.equal(events[1].data.object.amount_received, 2500);
    // Stripe copies no session metadata to the PaymentIntent: only payment_intent_data's.
    assert.deepEqual(events[1].data.object.metadata, { donation_id: '34' });
    const pi = await stripe.paymentIntents.retrieve(done.body.payment_intent);
    assert.equal(pi.status, 'succeeded');
  });

  test('payment mode: a declined card leaves the session open', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'eur', unit_amount: 1000, product_data: { name: 'G' } }, quantity: 1 },
      ],
      success_url: 'https://sign.example.org/ok',
    });
    const done = await complete(session.id, '4000000000000002');
    assert.equal(done.status, 402);
    assert.equal(done.body.error.code, 'card_declined');
    assert.equal((await stripe.checkout.sessions.retrieve(session.id)).status, 'open');
  });

  test('subscription mode: monthly giving makes an active subscription', async () => {
    const before = receiver.received.length;
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [
        {
          price_data: {
            currency: 'usd',
            unit_amount: 1000,
            recurring: { interval: 'month' },
            product_data: { name: 'Monthly gift' },
          },
          quantity: 1,
        },
      ],
      success_url: 'https://sign.example.org/ok?s={CHECKOUT_SESSION_ID}',
      metadata: { donation_id: '35' },
    });
    const done = await complete(session.id, 'pm_card_visa');
    assert.equal(done.status, 200);
    assert.match(done.body.subscription, /^sub_test_/);
    await flush();
    const types = verifiedEvents().slice(before).map((e) => e.type);
    assert.ok(types.includes('invoice.paid'), types.join());
    assert.ok(types.includes('checkout.session.completed'));
    const sub = await stripe.subscriptions.retrieve(done.body.subscription);
    assert.equal(sub.status, 'active');
    const canceled = await stripe.subscriptions.cancel(sub.id);
    assert.equal(canceled.status, 'canceled');
    await flush();
    assert.equal(verifiedEvents().at(-1).type, 'customer.subscription.deleted');
  });

  test('a recurring price outside subscription mode is the library\'s StripeInvalidRequestError', async () => {
    await assert.rejects(
      stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [
          {
            price_data: {
              currency: 'usd', unit_amount: 1, recurring: { interval: 'month' },
              product_data: { name: 'x' },
            },
          },
        ],
        success_url: 'https://sign.example.org/ok',
      }),
      (e) => e.type === 'StripeInvalidRequestError' && e.param === 'line_items[0][price_data][recurring]',
    );
  });

  test('setup mode saves a card for later; missing currency names the param', async () => {
    await assert.rejects(
      stripe.checkout.sessions.create({ mode: 'setup', success_url: 'https://x.example/ok' }),
      (e) => e.type === 'StripeInvalidRequestError' && e.code === 'parameter_missing' &&
        e.param === 'currency',
    );
    const before = receiver.received.length;
    const session = await stripe.checkout.sessions.create({
      mode: 'setup',
      currency: 'usd',
      success_url: 'https://x.example/ok',
      customer_email: 'pledger@example.org',
      metadata: { pledge_id: '9' },
      setup_intent_data: { metadata: { pledge_id: '9' } },
    });
    const done = await complete(session.id, '4000002500003155');
    assert.equal(done.status, 200);
    await flush();
    const events = verifiedEvents().slice(before);
    assert.deepEqual(events.map((e) => e.type), ['checkout.session.completed', 'setup_intent.succeeded']);
    const si = events[1].data.object;
    assert.equal(si.status, 'succeeded');
    assert.equal(si.usage, 'off_session');
    assert.deepEqual(si.metadata, { pledge_id: '9' });
    const pm = await stripe.paymentMethods.retrieve(si.payment_method);
    assert.equal(pm.customer, si.customer);
    assert.equal(pm.card.last4, '3155');
  });
});

// A saved card, as a setup-mode Checkout leaves it: [customer id, payment method id].
async function savedCard(card) {
  const session = await stripe.checkout.sessions.create({
    mode: 'setup', currency: 'usd', success_url: 'https://x.example/ok',
  });
  const done = await complete(session.id, card);
  assert.equal(done.status, 200);
  const si = emulator.objects.setup_intent.get(done.body.setup_intent);
  return [si.customer, si.payment_method];
}

describe('off-session PaymentIntents (a pledge charged when its condition is met)', () => {
  const charge = (customer, pm, key, amount = 4200) =>
    stripe.paymentIntents.create(
      {
        amount, currency: 'usd', customer, payment_method: pm, off_session: true, confirm: true,
        metadata: { pledge_id: key },
      },
      { idempotencyKey: `undersigned:pledge:${key}:charge:1` },
    );

  test('pm_card_visa and the 3155 card succeed', async () => {
    for (const card of ['4242424242424242', '4000002500003155']) {
      const [cus, pm] = await savedCard(card);
      const pi = await charge(cus, pm, `ok-${card}`);
      assert.equal(pi.status, 'succeeded');
      assert.equal(pi.amount_received, 4200);
      assert.match(pi.latest_charge, /^ch_test_/);
    }
  });

  test('the 3155 card not saved with authentication needs it off-session', async () => {
    const cus = await stripe.customers.create({});
    await assert.rejects(
      charge(cus.id, 'pm_card_authenticationRequiredOnSetup', 'unsaved-3155'),
      (e) => e.type === 'StripeCardError' && e.code === 'authentication_required',
    );
  });

  test('the 3184 card fails with authentication_required, the intent awaits a payment method', async () => {
    const [cus, pm] = await savedCard('4000002760003184');
    await assert.rejects(charge(cus, pm, 'auth'), (e) => {
      assert.equal(e.type, 'StripeCardError');
      assert.equal(e.statusCode, 402);
      assert.equal(e.code, 'authentication_required');
      assert.equal(e.raw.payment_intent.status, 'requires_payment_method');
      return true;
    });
  });

  test('the 0002 card is declined', async () => {
    const [cus, pm] = await savedCard('4000000000000002');
    await assert.rejects(charge(cus, pm, 'declined'), (e) => {
      assert.equal(e.type, 'StripeCardError');
      assert.equal(e.code, 'card_declined');
      assert.equal(e.decline_code, 'generic_decline');
      return true;
    });
  });

  test('a retry with the same key replays the first answer and never charges twice', async () => {
    const [cus, pm] = await savedCard('4242424242424242');
    const chargesBefore = (await state()).counts.succeeded_charges;
    const a = await charge(cus, pm, 'retry');
    const b = await charge(cus, pm, 'retry');
    assert.equal(a.id, b.id);
    assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal((await state()).counts.succeeded_charges, chargesBefore + 1);
  });

  test('an error is replayed too', async () => {
    const [cus, pm] = await savedCard('4000000000000002');
    const first = await charge(cus, pm, 'err').catch((e) => e);
    const second = await charge(cus, pm, 'err').catch((e) => e);
    assert.equal(first.code, 'card_declined');
    assert.equal(second.code, 'card_declined');
    assert.equal(first.raw.payment_intent.id, second.raw.payment_intent.id);
  });

  test('the same key with other parameters is the library\'s StripeIdempotencyError', async () => {
    const [cus, pm] = await savedCard('4242424242424242');
    await charge(cus, pm, 'params', 100);
    await assert.rejects(charge(cus, pm, 'params', 200), (e) => {
      assert.equal(e.type, 'StripeIdempotencyError');
      assert.equal(e.statusCode, 400);
      return true;
    });
  });

  test('a detached card cannot be charged again', async () => {
    const [cus, pm] = await savedCard('4242424242424242');
    const detached = await stripe.paymentMethods.detach(pm, {}, {
      idempotencyKey: 'undersigned:pledge:d:detach',
    });
    assert.equal(detached.customer, null);
    await assert.rejects(
      stripe.paymentMethods.detach(pm, {}, { idempotencyKey: 'undersigned:pledge:d:detach2' }),
      (e) => e.type === 'StripeInvalidRequestError' && e.code === 'payment_method_unexpected_state',
    );
    await assert.rejects(charge(cus, pm, 'detached'), (e) => e.type === 'StripeInvalidRequestError');
  });

  test('off_session without confirm and a missing amount are refused with the param', async () => {
    await assert.rejects(
      stripe.paymentIntents.create({ amount: 5, currency: 'usd', off_session: true }),
      (e) => e.type === 'StripeInvalidRequestError' && e.param === 'off_session',
    );
    await assert.rejects(
      stripe.paymentIntents.create({ currency: 'usd' }),
      (e) => e.type === 'StripeInvalidRequestError' && e.param === 'amount',
    );
  });
});

describe('refunds', () => {
  test('partial then full refund of a PaymentIntent, then nothing left', async () => {
    const [cus, pm] = await savedCard('4242424242424242');
    const pi = await stripe.paymentIntents.create({
      amount: 3000, currency: 'usd', customer: cus, payment_method: pm, off_session: true,
      confirm: true,
    });
    const before = receiver.received.length;
    const r1 = await stripe.refunds.create({ payment_intent: pi.id, amount: 1000 });
    assert.equal(r1.status, 'succeeded');
    assert.equal(r1.amount, 1000);
    const r2 = await stripe.refunds.create({ charge: pi.latest_charge });
    assert.equal(r2.amount, 2000);
    await assert.rejects(
      stripe.refunds.create({ payment_intent: pi.id }),
      (e) => e.type === 'StripeInvalidRequestError' && e.code === 'charge_already_refunded',
    );
    await flush();
    const refunded = verifiedEvents().slice(before).filter((e) => e.type === 'charge.refunded');
    assert.equal(refunded.length, 2);
    assert.equal(refunded[1].data.object.refunded, true);
    assert.equal(refunded[1].data.object.amount_refunded, 3000);
  });
});

describe('renewals and disputes (test-only routes)', () => {
  async function monthly(card) {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{
        price_data: {
          currency: 'usd', unit_amount: 700, recurring: { interval: 'month' },
          product_data: { name: 'Monthly' },
        },
        quantity: 1,
      }],
      success_url: 'https://x.example/ok',
    });
    const done = await complete(session.id, card);
    assert.equal(done.status, 200);
    return done.body.subscription;
  }
  const post = async (path) => {
    const r = await fetch(`${base}${path}`, { method: 'POST' });
    return { status: r.status, body: await r.json() };
  };

  test('a renewal is paid, or fails and leaves the subscription past due', async () => {
    const sub = await monthly('4242424242424242');
    await flush();
    let before = receiver.received.length;
    const paid = await post(`/_emulator/subscriptions/${sub}/renew`);
    assert.equal(paid.status, 200);
    assert.equal(paid.body.status, 'paid');
    assert.equal(paid.body.amount_paid, 700);
    await flush();
    assert.deepEqual(verifiedEvents().slice(before).map((e) => e.type),
      ['invoice.paid', 'payment_intent.succeeded', 'charge.succeeded']);

    // A card saved through Checkout that later fails (0002 passes setup, fails charges).
    const failing = await monthly('4242424242424242');
    const pmId = (await stripe.subscriptions.retrieve(failing)).default_payment_method;
    emulator.objects.payment_method.get(pmId)._behaviour = 'declined';
    await flush();
    before = receiver.received.length;
    const unpaid = await post(`/_emulator/subscriptions/${failing}/renew`);
    assert.equal(unpaid.body.status, 'open');
    await flush();
    assert.deepEqual(verifiedEvents().slice(before).map((e) => e.type),
      ['invoice.payment_failed', 'customer.subscription.updated']);
    assert.equal((await stripe.subscriptions.retrieve(failing)).status, 'past_due');
    await stripe.subscriptions.cancel(failing);
    assert.equal((await post(`/_emulator/subscriptions/${failing}/renew`)).status, 400);
  });

  test('a dispute names the charge and what is at stake', async () => {
    const [cus, pm] = await savedCard('4242424242424242');
    const pi = await stripe.paymentIntents.create({
      amount: 2000, currency: 'usd', customer: cus, payment_method: pm, off_session: true,
      confirm: true,
    });
    await flush();
    const before = receiver.received.length;
    const dp = await post(`/_emulator/charges/${pi.latest_charge}/dispute`);
    assert.equal(dp.status, 200);
    await flush();
    const [event] = verifiedEvents().slice(before);
    assert.equal(event.type, 'charge.dispute.created');
    assert.equal(event.data.object.charge, pi.latest_charge);
    assert.equal(event.data.object.amount, 2000);
  });
});

describe('webhook signatures', () => {
  test('every delivery verifies with constructEvent; a tampered body or old one does not', async () => {
    await flush();
    assert.ok(receiver.received.length > 10);
    const d = receiver.received[0];
    assert.match(d.signature, /^t=\d+,v1=[0-9a-f]{64},v0=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(d.body, d.signature, WHSEC);
    assert.match(event.id, /^evt_test_/);
    const tampered = Buffer.from(d.body.toString().replace('"livemode": false', '"livemode": true'));
    assert.notDeepEqual(tampered, d.body);
    assert.throws(() => stripe.webhooks.constructEvent(tampered, d.signature, WHSEC),
      (e) => e.type === 'StripeSignatureVerificationError');
    assert.throws(() => stripe.webhooks.constructEvent(d.body, d.signature, 'whsec_other'),
      (e) => e.type === 'StripeSignatureVerificationError');
    const old = emulator.signatureHeader(d.body.toString(), Math.floor(Date.now() / 1000) - 301);
    assert.throws(() => stripe.webhooks.constructEvent(d.body, old, WHSEC),
      (e) => e.type === 'StripeSignatureVerificationError' && /tolerance/.test(e.message));
  });

  test('the emulator\'s header equals the library\'s test header for the same input', () => {
    const payload = '{"id":"evt_1","object":"event"}';
    const t = 1700000000;
    const ours = emulator.signatureHeader(payload, t).split(',').slice(0, 2).join(',');
    assert.equal(ours, stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC, timestamp: t }));
  });

  test('resending an event delivers the same event id again (duplicates happen)', async () => {
    const ev = [...emulator.objects.event.values()][0];
    const before = receiver.received.length;
    const r = await fetch(`${base}/_emulator/events/${ev.id}/resend`, { method: 'POST' });
    assert.equal(r.status, 200);
    const again = verifiedEvents().slice(before);
    assert.equal(again.length, 1);
    assert.equal(again[0].id, ev.id);
  });
});
