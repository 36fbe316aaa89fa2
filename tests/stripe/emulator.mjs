// A small Stripe emulator for undersigned's tests: an HTTP server speaking the part of Stripe's
// API that src/payments/ uses (Checkout Sessions in the three modes, off-session PaymentIntents
// with the documented test cards' behaviours, PaymentMethod detach, refunds, subscription
// cancellation), with Stripe's form decoding, Idempotency-Key semantics and error shapes, and
// signed webhooks. Kept honest by emulator.test.mjs, which drives it with Stripe's official Node
// library. For tests only: it keeps everything in memory and trusts its callers.
//
// Run:   node emulator.mjs [--port N] [--api-key sk_test_...] [--webhook-url URL]
//                          [--webhook-secret whsec_...]
//        prints "ready PORT" on stdout once it listens (port 0 / none: any free port).
//
// Test-only endpoints (not Stripe's; under /_emulator/):
//   POST /_emulator/checkout/sessions/:id/complete   card=<number or pm_...>: the donor paid or
//        saved a card on the hosted page; sends the webhooks that follow.
//   GET  /_emulator/state                           every object, counts, webhook deliveries.
//   GET  /_emulator/requests                        every API request received (method, path,
//        Idempotency-Key, Stripe-Version, raw body).
//   POST /_emulator/subscriptions/:id/renew         a new billing period (invoice.paid, or
//        invoice.payment_failed for a card that fails).
//   POST /_emulator/charges/:id/dispute             the cardholder disputes the charge.
//   POST /_emulator/config                          webhook_url=...: where webhooks go;
//        latency_ms=N: every API request (not these) answers N ms late, as a slow network
//        would (the pledge tests kill a server in the middle of charging).
//   POST /_emulator/events/:id/resend               delivers an event again (duplicates).
//   POST /_emulator/webhooks/flush                  answers once every queued webhook was sent.
import crypto from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const API_VERSION = '2026-11-18.endive';

// Test payment methods (Stripe's names) and card numbers, and how each behaves.
//   succeeds: every charge succeeds.
//   auth_on_setup: asks for authentication when saved (done on the hosted page), then succeeds
//     off-session.
//   auth_always: every charge asks for authentication: off-session it fails with
//     authentication_required and the PaymentIntent stays requires_payment_method.
//   declined: every charge is declined (card_declined, generic_decline).
const TEST_CARDS = {
  '4242424242424242': { pm: 'pm_card_visa', brand: 'visa', behaviour: 'succeeds' },
  '4000002500003155': {
    pm: 'pm_card_authenticationRequiredOnSetup',
    brand: 'visa',
    behaviour: 'auth_on_setup',
  },
  '4000002760003184': {
    pm: 'pm_card_authenticationRequired',
    brand: 'visa',
    behaviour: 'auth_always',
  },
  '4000000000000002': { pm: 'pm_card_chargeDeclined', brand: 'visa', behaviour: 'declined' },
};
const CARD_BY_PM = Object.fromEntries(
  Object.entries(TEST_CARDS).map(([number, c]) => [c.pm, { ...c, number }]),
);

// Stripe's form encoding: a[b][0][c]=v into nested objects and arrays (the library's
// stringifyRequestData, reversed). Brackets may come percent-encoded or not.
export function decodeForm(body) {
  const out = {};
  if (!body) return out;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw new ApiError(400, 'invalid_request_error', `Invalid parameter name: ${key}`);
    const path = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node = out;
    for (let i = 0; i < path.length; i++) {
      let part = path[i];
      const last = i === path.length - 1;
      if (part === '') part = Array.isArray(node) ? node.length : Object.keys(node).length;
      if (last) {
        node[part] = value;
      } else {
        if (node[part] === undefined) node[part] = /^\d+$/.test(path[i + 1]) || path[i + 1] === '' ? [] : {};
        node = node[part];
      }
    }
  }
  return out;
}

class ApiError extends Error {
  constructor(status, type, message, extra = {}) {
    super(message);
    this.status = status;
    this.body = { error: { type, message, ...extra } };
  }
}

function missing(param) {
  return new ApiError(400, 'invalid_request_error', `Missing required param: ${param}.`, {
    code: 'parameter_missing',
    param,
  });
}

function noSuch(kind, id, param) {
  return new ApiError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    code: 'resource_missing',
    param,
  });
}

function parseAmount(value, param) {
  if (value === undefined || value === '') throw missing(param);
  if (!/^\d+$/.test(String(value))) {
    throw new ApiError(400, 'invalid_request_error', `Invalid integer: ${value}`, {
      code: 'parameter_invalid_integer',
      param,
    });
  }
  return Number(value);
}

function parseCurrency(value, param = 'currency') {
  if (value === undefined || value === '') throw missing(param);
  if (!/^[a-zA-Z]{3}$/.test(value)) {
    throw new ApiError(400, 'invalid_request_error', `Invalid currency: ${value}.`, {
      code: 'invalid_currency',
      param,
    });
  }
  return value.toLowerCase();
}

// JSON with sorted keys: the same parameters in another order are the same request.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function bool(value) {
  return value === true || value === 'true';
}

function metadataOf(params) {
  const md = params.metadata ?? {};
  if (typeof md !== 'object' || Array.isArray(md)) {
    throw new ApiError(400, 'invalid_request_error', 'Invalid metadata: must be a hash', {
      param: 'metadata',
    });
  }
  return { ...md };
}

export class Emulator {
  constructor({ apiKey = '', webhookUrl = '', webhookSecret = '' } = {}) {
    this.apiKey = apiKey;
    this.webhookUrl = webhookUrl;
    this.webhookSecret = webhookSecret;
    this.objects = {
      customer: new Map(),
      'checkout.session': new Map(),
      payment_intent: new Map(),
      setup_intent: new Map(),
      payment_method: new Map(),
      charge: new Map(),
      refund: new Map(),
      subscription: new Map(),
      invoice: new Map(),
      event: new Map(),
    };
    this.idempotency = new Map(); // key -> {fingerprint, status, body}
    this.latencyMs = 0; // see /_emulator/config
    this.requests = [];
    this.deliveries = [];
    this.queue = Promise.resolve();
    this.seq = 0;
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  listen(port = 0, host = '127.0.0.1') {
    return new Promise((resolve) => {
      this.server.listen(port, host, () => {
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  async close() {
    await this.queue;
    await new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections?.();
  }

  now() {
    return Math.floor(Date.now() / 1000);
  }

  newId(prefix) {
    this.seq += 1;
    return `${prefix}_test_${crypto.randomBytes(6).toString('hex')}${this.seq.toString(36)}`;
  }

  store(obj) {
    this.objects[obj.object].set(obj.id, obj);
    return obj;
  }

  get(kind, id, param) {
    const o = this.objects[kind].get(id);
    if (!o) throw noSuch(kind, id, param);
    return o;
  }

  // ---------------------------------------------------------------- HTTP plumbing

  async handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://emulator');
    const requestId = `req_${crypto.randomBytes(7).toString('hex')}`;
    const send = (status, body, headers = {}) => {
      const text = JSON.stringify(body, null, 2);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Request-Id': requestId,
        'Stripe-Version': API_VERSION,
        ...headers,
      });
      res.end(text);
    };
    try {
      if (url.pathname.startsWith('/_emulator/')) {
        const params = req.headers['content-type']?.includes('application/json')
          ? JSON.parse(raw || '{}')
          : decodeForm(raw);
        const [status, body] = await this.testRoute(req.method, url.pathname, params);
        return send(status, body);
      }
      this.requests.push({
        method: req.method,
        path: url.pathname,
        query: url.search,
        idempotency_key: req.headers['idempotency-key'] ?? null,
        stripe_version: req.headers['stripe-version'] ?? null,
        content_type: req.headers['content-type'] ?? null,
        body: raw,
      });
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const auth = req.headers.authorization ?? '';
      const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!key || (this.apiKey && key !== this.apiKey)) {
        throw new ApiError(
          401,
          'authentication_error',
          key ? 'Invalid API Key provided.' : 'You did not provide an API key.',
        );
      }
      const params = req.method === 'GET' ? decodeForm(url.search.slice(1)) : decodeForm(raw);
      const idemKey = req.headers['idempotency-key'];
      if (req.method === 'POST' && idemKey !== undefined) {
        if (idemKey.length === 0 || idemKey.length > 255) {
          throw new ApiError(
            400,
            'invalid_request_error',
            'Idempotency-Key must be between 1 and 255 characters.',
            { param: 'Idempotency-Key' },
          );
        }
        const fingerprint = `${req.method} ${url.pathname} ${canonical(params)}`;
        const seen = this.idempotency.get(idemKey);
        if (seen) {
          if (seen.fingerprint !== fingerprint) {
            throw new ApiError(
              400,
              'idempotency_error',
              `Keys for idempotent requests can only be used with the same parameters they ` +
                `were first used with. Try using a key other than '${idemKey}' if you meant ` +
                `to execute a different request.`,
            );
          }
          return send(seen.status, seen.body, {
            'Idempotent-Replayed': 'true',
            'Idempotency-Key': idemKey,
          });
        }
        let status;
        let body;
        try {
          body = this.route(req.method, url.pathname, params, idemKey);
          status = 200;
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          status = e.status;
          body = e.body;
        }
        // Stripe stores the first result, errors included (not 5xx, which never happen here).
        this.idempotency.set(idemKey, { fingerprint, status, body });
        return send(status, body, { 'Idempotency-Key': idemKey });
      }
      return send(200, this.route(req.method, url.pathname, params, null));
    } catch (e) {
      if (e instanceof ApiError) return send(e.status, e.body);
      if (e instanceof URIError || e instanceof SyntaxError) {
        return send(400, { error: { type: 'invalid_request_error', message: e.message } });
      }
      console.error(e);
      return send(500, { error: { type: 'api_error', message: String(e) } });
    }
  }

  route(method, path, params, idemKey) {
    let m;
    if (method === 'POST' && path === '/v1/customers') return this.createCustomer(params);
    if (method === 'GET' && (m = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
      return this.get('customer', m[1], 'id');
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(params);
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path))) {
      return this.get('checkout.session', m[1], 'session');
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      return this.createPaymentIntent(params, idemKey);
    }
    if (method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
      return this.get('payment_intent', m[1], 'intent');
    }
    if (method === 'GET' && (m = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) {
      return this.paymentMethod(m[1]);
    }
    if (method === 'POST' && (m = /^\/v1\/payment_methods\/([^/]+)\/detach$/.exec(path))) {
      return this.detach(m[1]);
    }
    if (method === 'POST' && (m = /^\/v1\/payment_methods\/([^/]+)\/attach$/.exec(path))) {
      return this.attach(m[1], params);
    }
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(params, idemKey);
    if (method === 'GET' && (m = /^\/v1\/charges\/([^/]+)$/.exec(path))) {
      return this.get('charge', m[1], 'id');
    }
    if (method === 'GET' && (m = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      return this.get('subscription', m[1], 'id');
    }
    if (method === 'DELETE' && (m = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      return this.cancelSubscription(m[1]);
    }
    throw new ApiError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${method}: ${path}). This emulator implements only what ` +
        `undersigned uses.`,
    );
  }

  // ---------------------------------------------------------------- customers, payment methods

  createCustomer(params) {
    return this.store({
      id: this.newId('cus'),
      object: 'customer',
      created: this.now(),
      email: params.email ?? null,
      name: params.name ?? null,
      metadata: metadataOf(params),
      livemode: false,
    });
  }

  // The stored PaymentMethod, or a fresh one for a test PaymentMethod name (pm_card_visa...)
  // as Stripe does: each use of a test name is a new, unattached PaymentMethod.
  paymentMethod(id, param = 'payment_method') {
    const stored = this.objects.payment_method.get(id);
    if (stored) return stored;
    const card = CARD_BY_PM[id];
    if (!card) throw noSuch('PaymentMethod', id, param);
    return this.newPaymentMethod(card.number);
  }

  newPaymentMethod(number) {
    const card = TEST_CARDS[number];
    if (!card) {
      throw new ApiError(402, 'card_error', 'Your card number is incorrect.', {
        code: 'incorrect_number',
      });
    }
    return this.store({
      id: this.newId('pm'),
      object: 'payment_method',
      type: 'card',
      created: this.now(),
      customer: null,
      card: { brand: card.brand, last4: number.slice(-4), exp_month: 12, exp_year: 2034 },
      metadata: {},
      livemode: false,
      _behaviour: card.behaviour,
    });
  }

  detach(id) {
    const pm = this.objects.payment_method.get(id);
    if (!pm) throw noSuch('PaymentMethod', id, 'payment_method');
    if (!pm.customer) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'The payment method you provided is not attached to a customer so detachment is ' +
          'impossible.',
        { code: 'payment_method_unexpected_state' },
      );
    }
    pm.customer = null;
    this.emit('payment_method.detached', pm);
    return pm;
  }

  attach(id, params) {
    const pm = this.paymentMethod(id);
    if (!params.customer) throw missing('customer');
    this.get('customer', params.customer, 'customer');
    pm.customer = params.customer;
    this.emit('payment_method.attached', pm);
    return pm;
  }

  // ---------------------------------------------------------------- Checkout Sessions

  createSession(params) {
    const mode = params.mode;
    if (!mode) throw missing('mode');
    if (!['payment', 'subscription', 'setup'].includes(mode)) {
      throw new ApiError(400, 'invalid_request_error', `Invalid mode: ${mode}`, {
        param: 'mode',
      });
    }
    if (!params.success_url) throw missing('success_url');
    let amountTotal = null;
    let currency = null;
    let interval = null;
    const items = params.line_items ?? [];
    if (mode === 'setup') {
      if (items.length) {
        throw new ApiError(400, 'invalid_request_error', 'line_items are not allowed in setup mode.', {
          param: 'line_items',
        });
      }
      currency = parseCurrency(params.currency);
    } else {
      if (!items.length) throw missing('line_items');
      amountTotal = 0;
      items.forEach((item, i) => {
        const pd = item.price_data;
        if (!pd) throw missing(`line_items[${i}][price_data]`);
        const c = parseCurrency(pd.currency, `line_items[${i}][price_data][currency]`);
        if (currency && c !== currency) {
          throw new ApiError(400, 'invalid_request_error', 'All line items must share a currency.', {
            param: `line_items[${i}][price_data][currency]`,
          });
        }
        currency = c;
        const unit = parseAmount(pd.unit_amount, `line_items[${i}][price_data][unit_amount]`);
        const qty = item.quantity === undefined ? 1 : parseAmount(item.quantity, `line_items[${i}][quantity]`);
        if (!pd.product_data?.name && !pd.product) {
          throw missing(`line_items[${i}][price_data][product_data][name]`);
        }
        if (mode === 'subscription') {
          interval = pd.recurring?.interval;
          if (!interval) throw missing(`line_items[${i}][price_data][recurring][interval]`);
        } else if (pd.recurring) {
          throw new ApiError(
            400,
            'invalid_request_error',
            'You must be in subscription mode to specify a recurring price.',
            { param: `line_items[${i}][price_data][recurring]` },
          );
        }
        amountTotal += unit * qty;
      });
    }
    if (params.customer) this.get('customer', params.customer, 'customer');
    const id = this.newId('cs');
    return this.store({
      id,
      object: 'checkout.session',
      mode,
      status: 'open',
      payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      amount_total: amountTotal,
      currency,
      customer: params.customer ?? null,
      customer_email: params.customer_email ?? null,
      client_reference_id: params.client_reference_id ?? null,
      success_url: params.success_url.replaceAll('{CHECKOUT_SESSION_ID}', id),
      cancel_url: params.cancel_url ?? null,
      url: `http://127.0.0.1:${this.port}/pay/${id}`,
      metadata: metadataOf(params),
      payment_intent: null,
      setup_intent: null,
      subscription: null,
      created: this.now(),
      expires_at: this.now() + 24 * 3600,
      livemode: false,
      _line_items: items,
      _interval: interval,
      // Stripe copies none of the session's metadata to what it creates: each object gets
      // only what its own *_data[metadata] says.
      _payment_intent_data: params.payment_intent_data ?? {},
      _subscription_data: params.subscription_data ?? {},
      _setup_intent_data: params.setup_intent_data ?? {},
    });
  }

  // The donor finished on the hosted page with this card (a number or a test pm name).
  completeSession(id, card) {
    const s = this.get('checkout.session', id, 'session');
    if (s.status !== 'open') {
      throw new ApiError(400, 'invalid_request_error', `This Checkout Session is ${s.status}.`);
    }
    const number = TEST_CARDS[card] ? card : CARD_BY_PM[card]?.number;
    if (!number) throw new ApiError(400, 'invalid_request_error', `Unknown test card: ${card}`);
    const behaviour = TEST_CARDS[number].behaviour;
    if (behaviour === 'declined' && s.mode !== 'setup') {
      // The hosted page shows the decline; the session stays open.
      throw new ApiError(402, 'card_error', 'Your card was declined.', {
        code: 'card_declined',
        decline_code: 'generic_decline',
      });
    }
    const customer = s.customer
      ? this.get('customer', s.customer, 'customer')
      : this.createCustomer({ email: s.customer_email ?? undefined });
    const pm = this.newPaymentMethod(number);
    pm.customer = customer.id;
    pm._authenticated = true; // the donor was present: 3-D Secure done when saving the card
    // On the hosted page the donor is present: authentication (3155, 3184) is completed there.
    s.customer = customer.id;
    s.status = 'complete';
    if (s.mode === 'setup') {
      const si = this.store({
        id: this.newId('seti'),
        object: 'setup_intent',
        status: 'succeeded',
        usage: 'off_session',
        customer: customer.id,
        payment_method: pm.id,
        metadata: { ...(s._setup_intent_data.metadata ?? {}) },
        created: this.now(),
        livemode: false,
      });
      s.setup_intent = si.id;
      this.emit('checkout.session.completed', s);
      this.emit('setup_intent.succeeded', si);
      return s;
    }
    const pi = this.newPaymentIntent({
      amount: s.amount_total,
      currency: s.currency,
      customer: customer.id,
      payment_method: pm.id,
      metadata: s.mode === 'payment' ? { ...(s._payment_intent_data.metadata ?? {}) } : {},
    });
    this.succeed(pi);
    s.payment_status = 'paid';
    s.payment_intent = pi.id;
    if (s.mode === 'subscription') {
      const sub = this.store({
        id: this.newId('sub'),
        object: 'subscription',
        status: 'active',
        customer: customer.id,
        default_payment_method: pm.id,
        metadata: { ...(s._subscription_data.metadata ?? {}) },
        items: {
          object: 'list',
          data: [{ price: { unit_amount: s.amount_total, currency: s.currency, recurring: { interval: s._interval } } }],
        },
        created: this.now(),
        canceled_at: null,
        livemode: false,
      });
      const inv = this.store({
        id: this.newId('in'),
        object: 'invoice',
        status: 'paid',
        customer: customer.id,
        subscription: sub.id,
        amount_paid: s.amount_total,
        currency: s.currency,
        payment_intent: pi.id,
        created: this.now(),
        livemode: false,
      });
      s.subscription = sub.id;
      s.payment_intent = null; // Stripe: a subscription session's payment is the invoice's
      this.emit('customer.subscription.created', sub);
      this.emit('checkout.session.completed', s);
      this.emit('invoice.paid', inv);
    } else {
      this.emit('checkout.session.completed', s);
    }
    this.emit('payment_intent.succeeded', pi);
    this.emit('charge.succeeded', this.objects.charge.get(pi.latest_charge));
    return s;
  }

  // ---------------------------------------------------------------- PaymentIntents

  newPaymentIntent({ amount, currency, customer, payment_method, metadata, description }) {
    return this.store({
      id: this.newId('pi'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency,
      customer: customer ?? null,
      payment_method: payment_method ?? null,
      description: description ?? null,
      status: payment_method ? 'requires_confirmation' : 'requires_payment_method',
      last_payment_error: null,
      latest_charge: null,
      next_action: null,
      metadata: metadata ?? {},
      created: this.now(),
      livemode: false,
    });
  }

  succeed(pi) {
    const charge = this.store({
      id: this.newId('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      currency: pi.currency,
      customer: pi.customer,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      paid: true,
      captured: true,
      refunded: false,
      status: 'succeeded',
      metadata: { ...pi.metadata },
      created: this.now(),
      livemode: false,
    });
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    return charge;
  }

  createPaymentIntent(params, idemKey) {
    const amount = parseAmount(params.amount, 'amount');
    if (amount < 1) {
      throw new ApiError(400, 'invalid_request_error', 'Amount must be at least 1.', {
        code: 'amount_too_small',
        param: 'amount',
      });
    }
    const currency = parseCurrency(params.currency);
    const confirm = bool(params.confirm);
    const offSession = params.off_session !== undefined && params.off_session !== 'false';
    if (offSession && !confirm) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'off_session can only be used when confirm=true.',
        { param: 'off_session' },
      );
    }
    if (params.customer) this.get('customer', params.customer, 'customer');
    let pm = null;
    if (params.payment_method) {
      pm = this.paymentMethod(params.payment_method);
      if (pm.customer && params.customer && pm.customer !== params.customer) {
        throw new ApiError(
          400,
          'invalid_request_error',
          `The provided PaymentMethod ${pm.id} does not belong to the Customer ${params.customer}.`,
          { param: 'payment_method' },
        );
      }
      if (!pm.customer && params.customer && CARD_BY_PM[params.payment_method] === undefined) {
        throw new ApiError(
          400,
          'invalid_request_error',
          `The provided PaymentMethod ${pm.id} was previously used without being attached to a ` +
            `Customer or was detached from a Customer, and may not be used again.`,
          { param: 'payment_method' },
        );
      }
    }
    if (confirm && !pm) throw missing('payment_method');
    const pi = this.newPaymentIntent({
      amount,
      currency,
      customer: params.customer,
      payment_method: pm?.id,
      metadata: metadataOf(params),
      description: params.description,
    });
    if (!confirm) return pi;
    this.emit('payment_intent.created', pi);
    // 3155 needs authentication unless it was saved with it (setup on the hosted page).
    const behaviour =
      pm._behaviour === 'auth_on_setup' && !pm._authenticated ? 'auth_always' : pm._behaviour;
    if (behaviour === 'succeeds' || behaviour === 'auth_on_setup') {
      const charge = this.succeed(pi);
      this.emit('payment_intent.succeeded', pi);
      this.emit('charge.succeeded', charge);
      return pi;
    }
    if (behaviour === 'auth_always' && !offSession) {
      pi.status = 'requires_action';
      pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: {} };
      this.emit('payment_intent.requires_action', pi);
      return pi;
    }
    const error =
      behaviour === 'declined'
        ? {
            type: 'card_error',
            code: 'card_declined',
            decline_code: 'generic_decline',
            message: 'Your card was declined.',
          }
        : {
            type: 'card_error',
            code: 'authentication_required',
            decline_code: 'authentication_required',
            message:
              'Your card was declined. This transaction requires authentication.',
          };
    pi.status = 'requires_payment_method';
    pi.last_payment_error = { ...error, payment_method: { id: pm.id, type: 'card' } };
    this.emit('payment_intent.payment_failed', pi);
    const body = { ...error, payment_intent: structuredClone(this.publicView(pi)) };
    if (error.code === 'card_declined') {
      this.store({
        id: this.newId('ch'),
        object: 'charge',
        amount,
        amount_captured: 0,
        amount_refunded: 0,
        currency,
        customer: pi.customer,
        payment_intent: pi.id,
        payment_method: pm.id,
        paid: false,
        captured: false,
        refunded: false,
        status: 'failed',
        failure_code: 'card_declined',
        metadata: { ...pi.metadata },
        created: this.now(),
        livemode: false,
      });
      body.charge = [...this.objects.charge.values()].at(-1).id;
    }
    const { type, message, ...extra } = body;
    void idemKey;
    throw new ApiError(402, type, message, extra);
  }

  // ---------------------------------------------------------------- refunds, subscriptions

  createRefund(params) {
    let charge;
    if (params.charge) {
      charge = this.get('charge', params.charge, 'charge');
    } else if (params.payment_intent) {
      const pi = this.get('payment_intent', params.payment_intent, 'payment_intent');
      if (!pi.latest_charge || pi.status !== 'succeeded') {
        throw new ApiError(
          400,
          'invalid_request_error',
          `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
          { code: 'charge_not_refundable', param: 'payment_intent' },
        );
      }
      charge = this.get('charge', pi.latest_charge, 'charge');
    } else {
      throw missing('charge');
    }
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0) {
      throw new ApiError(400, 'invalid_request_error', `Charge ${charge.id} has already been refunded.`, {
        code: 'charge_already_refunded',
      });
    }
    const amount = params.amount === undefined ? remaining : parseAmount(params.amount, 'amount');
    if (amount < 1 || amount > remaining) {
      throw new ApiError(
        400,
        'invalid_request_error',
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        { param: 'amount' },
      );
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = this.store({
      id: this.newId('re'),
      object: 'refund',
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: 'succeeded',
      reason: params.reason ?? null,
      metadata: metadataOf(params),
      created: this.now(),
    });
    this.emit('charge.refunded', charge);
    this.emit('refund.created', refund);
    return refund;
  }

  cancelSubscription(id) {
    const sub = this.get('subscription', id, 'id');
    // Cancelling twice answers the canceled subscription again (DELETE is idempotent).
    if (sub.status !== 'canceled') {
      sub.status = 'canceled';
      sub.canceled_at = this.now();
      this.emit('customer.subscription.deleted', sub);
    }
    return sub;
  }

  // A new billing period of a subscription: an invoice charged to its saved card, paid (with
  // invoice.paid, payment_intent.succeeded) or not (invoice.payment_failed) as the card says.
  renewSubscription(id) {
    const sub = this.get('subscription', id, 'id');
    if (sub.status === 'canceled') {
      throw new ApiError(400, 'invalid_request_error', `Subscription ${id} is canceled.`);
    }
    const pm = this.get('payment_method', sub.default_payment_method, 'payment_method');
    const price = sub.items.data[0].price;
    const pi = this.newPaymentIntent({
      amount: price.unit_amount,
      currency: price.currency,
      customer: sub.customer,
      payment_method: pm.id,
      metadata: {},
    });
    const paid = pm._behaviour === 'succeeds' || pm._behaviour === 'auth_on_setup';
    const inv = this.store({
      id: this.newId('in'),
      object: 'invoice',
      status: paid ? 'paid' : 'open',
      customer: sub.customer,
      subscription: sub.id,
      amount_paid: paid ? price.unit_amount : 0,
      amount_due: price.unit_amount,
      currency: price.currency,
      payment_intent: pi.id,
      billing_reason: 'subscription_cycle',
      created: this.now(),
      livemode: false,
    });
    if (paid) {
      const charge = this.succeed(pi);
      this.emit('invoice.paid', inv);
      this.emit('payment_intent.succeeded', pi);
      this.emit('charge.succeeded', charge);
    } else {
      pi.status = 'requires_payment_method';
      sub.status = 'past_due';
      this.emit('invoice.payment_failed', inv);
      this.emit('customer.subscription.updated', sub);
    }
    return inv;
  }

  // The cardholder disputes a charge (charge.dispute.created).
  dispute(chargeId) {
    const charge = this.get('charge', chargeId, 'charge');
    if (charge.status !== 'succeeded') {
      throw new ApiError(400, 'invalid_request_error', `Charge ${chargeId} was not paid.`);
    }
    charge.disputed = true;
    const dp = {
      id: this.newId('dp'),
      object: 'dispute',
      amount: charge.amount - charge.amount_refunded,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      reason: 'fraudulent',
      status: 'needs_response',
      created: this.now(),
      livemode: false,
    };
    this.emit('charge.dispute.created', dp);
    return dp;
  }

  // ---------------------------------------------------------------- events and webhooks

  publicView(obj) {
    return JSON.parse(JSON.stringify(obj, (k, v) => (k.startsWith('_') ? undefined : v)));
  }

  emit(type, obj) {
    const event = this.store({
      id: this.newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      data: { object: this.publicView(obj) },
      livemode: false,
      pending_webhooks: this.webhookUrl ? 1 : 0,
      request: { id: null, idempotency_key: null },
      type,
    });
    this.deliver(event);
    return event;
  }

  // The header Stripe sends: t=<unix seconds>,v1=<HMAC-SHA256 hex of "<t>.<body>" keyed with
  // the endpoint secret>. Test mode adds a v0 scheme that verifiers ignore; so do we, with
  // a value no verifier can match.
  signatureHeader(body, t = this.now()) {
    const v1 = crypto.createHmac('sha256', this.webhookSecret).update(`${t}.${body}`).digest('hex');
    const v0 = crypto.createHash('sha256').update(`v0.${t}.${body}`).digest('hex');
    return `t=${t},v1=${v1},v0=${v0}`;
  }

  // Sends one event to the configured URL, in order after every earlier one.
  deliver(event) {
    if (!this.webhookUrl) return;
    const url = this.webhookUrl;
    this.queue = this.queue.then(async () => {
      const body = JSON.stringify(this.publicView(event), null, 2);
      const record = { event: event.id, type: event.type, url, status: null, error: null };
      this.deliveries.push(record);
      try {
        const r = await fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'Stripe-Signature': this.signatureHeader(body),
            'User-Agent': 'Stripe/1.0 (emulated)',
          },
          body,
        });
        record.status = r.status;
        await r.arrayBuffer();
      } catch (e) {
        record.error = String(e.cause ?? e);
      }
    });
  }

  async testRoute(method, path, params) {
    let m;
    if (method === 'POST' && (m = /^\/_emulator\/checkout\/sessions\/([^/]+)\/complete$/.exec(path))) {
      try {
        return [200, this.publicView(this.completeSession(m[1], params.card ?? '4242424242424242'))];
      } catch (e) {
        if (e instanceof ApiError) return [e.status, e.body];
        throw e;
      }
    }
    if (method === 'POST' && (m = /^\/_emulator\/subscriptions\/([^/]+)\/renew$/.exec(path))) {
      try {
        return [200, this.publicView(this.renewSubscription(m[1]))];
      } catch (e) {
        if (e instanceof ApiError) return [e.status, e.body];
        throw e;
      }
    }
    if (method === 'POST' && (m = /^\/_emulator\/charges\/([^/]+)\/dispute$/.exec(path))) {
      try {
        return [200, this.publicView(this.dispute(m[1]))];
      } catch (e) {
        if (e instanceof ApiError) return [e.status, e.body];
        throw e;
      }
    }
    if (method === 'GET' && path === '/_emulator/state') {
      const state = { counts: {}, objects: {}, deliveries: this.deliveries };
      for (const [kind, map] of Object.entries(this.objects)) {
        state.counts[kind] = map.size;
        state.objects[kind] = [...map.values()].map((o) => this.publicView(o));
      }
      state.counts.succeeded_charges = [...this.objects.charge.values()].filter(
        (c) => c.status === 'succeeded',
      ).length;
      return [200, state];
    }
    if (method === 'GET' && path === '/_emulator/requests') return [200, this.requests];
    if (method === 'POST' && path === '/_emulator/config') {
      if (params.webhook_url !== undefined) this.webhookUrl = params.webhook_url;
      if (params.webhook_secret !== undefined) this.webhookSecret = params.webhook_secret;
      if (params.latency_ms !== undefined) this.latencyMs = Number(params.latency_ms) || 0;
      return [200, { webhook_url: this.webhookUrl, latency_ms: this.latencyMs }];
    }
    if (method === 'POST' && (m = /^\/_emulator\/events\/([^/]+)\/resend$/.exec(path))) {
      const ev = this.objects.event.get(m[1]);
      if (!ev) return [404, { error: { type: 'invalid_request_error', message: 'no such event' } }];
      this.deliver(ev);
      await this.queue;
      return [200, { delivered: ev.id }];
    }
    if (method === 'POST' && path === '/_emulator/webhooks/flush') {
      await this.queue;
      return [200, { deliveries: this.deliveries.length }];
    }
    return [404, { error: { type: 'invalid_request_error', message: `no test route ${path}` } }];
  }
}

// Command line: node emulator.mjs --port 0 --webhook-url URL --webhook-secret S --api-key K
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) {
    args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  }
  const emulator = new Emulator({
    apiKey: args['api-key'] ?? '',
    webhookUrl: args['webhook-url'] ?? '',
    webhookSecret: args['webhook-secret'] ?? '',
  });
  const port = await emulator.listen(Number(args.port ?? 0));
  process.stdout.write(`ready ${port}\n`);
  const stop = () => emulator.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
