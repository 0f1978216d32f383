// The independent check of src/webhooks/signature.*: the reference JavaScript implementation of
// Standard Webhooks (npm `standardwebhooks`) verifies signatures our code made, and our verifier
// accepts signatures it made. A tampered body must fail on both sides, so the check can fail.
//   node standardwebhooks_check.mjs FIXTURE NODE_PACKAGE_DIR
// NODE_PACKAGE_DIR holds the package.json whose node_modules has `standardwebhooks`
// (tests/console). Exit 77: skipped (outside CI), naming what is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [fixture, packageDir] = process.argv.slice(2).map((p) => resolve(p));
if (!existsSync(join(packageDir, 'node_modules', 'standardwebhooks'))) {
  console.log(`skipped: run 'npm ci' in ${packageDir} (the standardwebhooks package)`);
  process.exit(process.env.CI === 'true' ? 1 : 77);
}
const { Webhook, WebhookVerificationError } =
    createRequire(join(packageDir, 'package.json'))('standardwebhooks');

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${what}`);
  if (!ok) failures++;
}
function verifies(secret, body, headers) {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    return true;
  } catch (e) {
    if (!(e instanceof WebhookVerificationError)) throw e;
    return false;
  }
}

// 1. Signatures made by src/webhooks, verified by the reference implementation.
const cases = execFileSync(fixture, ['sign'], { encoding: 'utf8' }).trim().split('\n')
    .map((line) => JSON.parse(line));
check(cases.length === 5, `the fixture signed ${cases.length} messages`);
for (const c of cases) {
  const body = Buffer.from(c.bodyBase64, 'base64');
  const headers = {
    'webhook-id': c.id,
    'webhook-timestamp': String(c.timestamp),
    'webhook-signature': c.signature,
  };
  check(verifies(c.secret, body, headers), `standardwebhooks verifies our signature of ${c.id}`);
  const tampered = Buffer.concat([body, Buffer.from(' ')]);
  check(!verifies(c.secret, tampered, headers), `... and refuses it over a changed body`);
}

// 2. Signatures made by the reference implementation, verified by src/webhooks.
for (const c of cases) {
  const body = Buffer.from(c.bodyBase64, 'base64');
  const now = new Date();
  const signature = new Webhook(c.secret).sign(c.id, now, body);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const ours = (b) => spawnSync(fixture, ['verify', c.secret, c.id, timestamp,
                                          b.toString('base64'), signature]).status;
  check(ours(body) === 0, `our verifier accepts standardwebhooks' signature of ${c.id}`);
  check(ours(Buffer.concat([body, Buffer.from('x')])) === 1, `... and refuses a changed body`);
}

process.exit(failures === 0 ? 0 : 1);
