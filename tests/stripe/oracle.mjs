// Stripe's official library as an oracle for undersigned's C++ webhook code
// (src/payments/webhook_oracle_test.cc):
//   node oracle.mjs headers            prints JSON vectors: payloads, secret, timestamp and the
//                                      header the library's generateTestHeaderString makes
//   node oracle.mjs verify FILE HEADER SECRET NOW
//                                      exits 0 if the library's constructEvent accepts the raw
//                                      bytes of FILE with HEADER and SECRET at time NOW (unix
//                                      seconds), 1 (printing why) if it refuses them
import { readFileSync } from 'node:fs';

import Stripe from 'stripe';

const stripe = new Stripe('sk_test_oracle', { telemetry: false });
const [command, ...args] = process.argv.slice(2);

if (command === 'headers') {
  const secret = 'whsec_oracle_Zm9vYmFyYmF6';
  const timestamp = 1_765_000_000;
  const payloads = [
    '{"id":"evt_oracle_1","object":"event","type":"checkout.session.completed","created":1765000000,"livemode":false,"api_version":"2026-11-18.endive","data":{"object":{"id":"cs_test_1","object":"checkout.session","metadata":{"donation_id":"34"}}}}',
    // Pretty-printed, with non-ASCII text and escapes: the raw bytes are what is signed.
    JSON.stringify(
      {
        id: 'evt_oracle_2', object: 'event', type: 'charge.refunded', created: 1765000001,
        livemode: false,
        data: { object: { id: 'ch_1', object: 'charge', description: 'Spende für die Busse — “merci” ✓\n' } },
      },
      null,
      2,
    ),
  ];
  const vectors = payloads.map((payload) => ({
    payload,
    secret,
    timestamp,
    header: stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
  }));
  process.stdout.write(JSON.stringify(vectors));
} else if (command === 'verify') {
  const [file, header, secret, now] = args;
  try {
    stripe.webhooks.constructEvent(readFileSync(file), header, secret, 300, undefined,
      Number(now) * 1000);
    process.stdout.write('accepted\n');
  } catch (e) {
    process.stdout.write(`refused: ${e.message}\n`);
    process.exit(1);
  }
} else {
  process.stderr.write('usage: node oracle.mjs headers | verify FILE HEADER SECRET NOW\n');
  process.exit(2);
}
