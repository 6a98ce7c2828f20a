// Unit checks of the page's S3 transfer rules (web/engine/s3.js) and of the test proxy's SigV4 check,
// so the end-to-end tests rest on verified pieces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RETRY, TransferError, expiryOf, withRetries } from '../web/engine/s3.js';
import { execFileSync } from 'node:child_process';
import { SECRET_KEY, checkPresigned } from './s3server.mjs';

RETRY.baseMs = 1; // keep the backoff short here

test('expiry is read from X-Amz-Date + X-Amz-Expires', () => {
  assert.equal(expiryOf('http://h/b/k?X-Amz-Date=20260304T050607Z&X-Amz-Expires=900').toISOString(), '2026-03-04T05:21:07.000Z');
  assert.equal(expiryOf('http://h/b/k'), null);
});

test('5xx and no-answer are retried up to the limit; 403 and other 4xx never', async () => {
  for (const [err, expected] of [
    [new TransferError('x', { status: 503 }), RETRY.attempts],
    [new TransferError('x', { status: 500 }), RETRY.attempts],
    [new TransferError('x', { status: 403 }), 1],
    [new TransferError('x', { status: 404 }), 1],
    [new TransferError('x', { status: 403, expired: true }), 1],
  ]) {
    let calls = 0;
    await assert.rejects(withRetries(async () => { calls++; throw err; }));
    assert.equal(calls, expected, `status ${err.status}`);
  }
  let calls = 0;
  assert.equal(await withRetries(async () => { if (++calls < 3) throw new TransferError('x', { status: 502 }); return 'ok'; }), 'ok');
  assert.equal(calls, 3);
});

test('the proxy checks signatures as S3 does (against boto3-signed URLs)', () => {
  // boto3 signs offline: a PUT with a Content-Type, at a fixed clock, for the proxy's host.
  const py = `
import datetime, boto3
from unittest import mock
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", aws_access_key_id="id", aws_secret_access_key="${SECRET_KEY}",
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2026, 3, 4, 5, 6, 7)):
    print(s3.generate_presigned_url("put_object", Params={"Bucket": "bkt", "Key": "a b/k.json", "ContentType": "application/json"}, ExpiresIn=900))
`;
  const full = new URL(execFileSync('python3', ['-c', py], { encoding: 'utf8' }).trim());
  const url = full.pathname + full.search;
  const now = Date.UTC(2026, 2, 4, 5, 10);
  const headers = { host: '127.0.0.1:9000', 'content-type': 'application/json' };
  assert.equal(checkPresigned('PUT', url, headers, SECRET_KEY, now), null);
  assert.equal(checkPresigned('PUT', url, { ...headers, 'content-type': 'text/plain' }, SECRET_KEY, now)?.[0], 'SignatureDoesNotMatch');
  assert.equal(checkPresigned('GET', url, headers, SECRET_KEY, now)?.[0], 'SignatureDoesNotMatch');
  assert.equal(checkPresigned('PUT', url.replace('k.json', 'x.json'), headers, SECRET_KEY, now)?.[0], 'SignatureDoesNotMatch');
  assert.equal(checkPresigned('PUT', url, { ...headers, host: '127.0.0.1:9001' }, SECRET_KEY, now)?.[0], 'SignatureDoesNotMatch');
  assert.equal(checkPresigned('PUT', url, headers, SECRET_KEY, Date.UTC(2026, 2, 4, 5, 30))?.[1], 'Request has expired');
});
