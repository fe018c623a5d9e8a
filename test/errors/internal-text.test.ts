import { describe, expect, it } from 'vitest';
import { defaultClientMessages } from '../../src/errors/codes.js';
import { looksInternal, maxScannedLength } from '../../src/errors/internal-text.js';
import { toGraphQLError } from '../../src/errors/to-graphql-error.js';
import { UpstreamError } from '../../src/upstream/failure.js';
import { readErrorReport } from '../../src/upstream/normalize.js';
import { createRecordingLogger } from '../support/recording-logger.js';

describe('looksInternal', () => {
  it.each([
    ['a Node stack frame', 'TypeError: x is undefined\n    at Object.<anonymous> (/app/src/db.js:10:5)'],
    ['an anonymous stack frame', 'failed at file:///srv/app/index.mjs:3:9'],
    ['a Python traceback', 'Traceback (most recent call last): File "/app/views.py", line 42, in get'],
    ['a source position', 'error in handlers/users.ts:88'],
    ['a file path', 'cannot open /var/lib/app/data.db'],
    ['a Windows path', 'cannot open C:\\inetpub\\wwwroot\\web.config'],
    ['node_modules', 'thrown inside node_modules/pg/lib/client.js'],
    ['a loopback address with a port', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['a private address with a port', 'upstream 10.0.3.7:8080 timed out'],
    ['an IPv6 loopback with a port', 'connect to [::1]:6379 failed'],
    ['localhost with a port', 'proxy to localhost:3000 failed'],
    ['an internal host name', 'could not reach db-1.internal:5432'],
    ['a cluster service name', 'users.default.svc.cluster.local refused'],
    ['SQL', 'SELECT id, email FROM users WHERE id = $1'],
    ['lower-case select star', 'select * from accounts'],
    ['an INSERT', 'INSERT INTO facts (id) VALUES (1)'],
    ['a Postgres syntax error', 'syntax error at or near "WHERE"'],
    ['an SQLSTATE', 'SQLSTATE[23000]: Integrity constraint violation'],
    ['a unique violation', 'duplicate key value violates unique constraint "users_email_key"'],
    ['a connection string with credentials', 'mongodb://admin:hunter2@mongo-0.mongo:27017/app failed'],
    ['a database URL', 'postgres://app@db/prod unreachable'],
    ['credentials in any URL', 'fetch https://svc:s3cret@billing.example.com/charge failed'],
    ['a Node network error code', 'connect ECONNREFUSED db-primary'],
    ['a URL with a port', 'could not reach https://billing.example.com:8443/charge'],
    ['a URL whose host has no dot', 'could not reach http://billing-svc/internal/charge'],
    ['a dotted host with a port', 'Not found on db-1.prod.acme.net:5432'],
    ['a host on a database port', 'Connection to db-primary:5432 refused'],
    ['a cloud database host', 'node db-7.us-east-1.rds.amazonaws.com rejected'],
    ['a private address without a port', 'Host 10.0.3.7 refused the request'],
    ['another private range', 'from 192.168.1.20 via 172.20.0.4'],
    ['a lower-case select with a where clause', 'select id, email from users where id = 5'],
    ['a lower-case insert', 'insert into users (id, email) values (1, $1)'],
    ['a lower-case update', 'update users set email = $1'],
    ['a lower-case delete', 'delete from sessions where id = 3'],
    ['a missing relation', 'ERROR: relation "public.users" does not exist'],
    ['an SQLite constraint', 'SQLITE_CONSTRAINT: UNIQUE constraint failed: users.email'],
    ['a MySQL duplicate', "Duplicate entry 'a@b.c' for key 'users.email_unique'"],
    ['a data file', 'see /data/exports/2024/customers.csv'],
    ['a key file', 'could not read certs/prod/server.pem'],
    ['a dotfile in a home directory', 'config at ~/.aws/credentials'],
    ['a bearer token', 'upstream token Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl rejected by auth'],
    ['an opaque bearer token', 'Authorization: Bearer 7f3c9a1be2d44c0f rejected'],
    ['a basic credential', 'sent Basic dXNlcjpwYXNzd29yZA== to billing'],
    ['a JSON Web Token on its own', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ expired'],
    ['an API key as a parameter', 'billing call failed: api_key=sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['a password as a parameter', 'login as svc password=hunter2 refused'],
    ['a prefixed password as a parameter', 'login failed: db_password=hunter2'],
    ['a prefixed password in capitals', 'DB_PASSWORD=hunter2 rejected'],
    ['a password under a long prefix', `${'EU_WEST_1_'.repeat(10)}WAREHOUSE_DB_PASSWORD=hunter2 rejected`],
    ['a password run into its prefix', 'login failed: dbPassword=hunter2'],
    ['a token run into its prefix', 'user_token=abc123 and apiToken=abcdef are stale'],
    ['an AWS secret key run together', 'awsSecretAccessKey=wJalrXUtnFEMI/K7MDENG refused'],
    ['a quoted password', 'newPassword="correct horse battery" rejected'],
    ['a password with a space after the sign', 'password = hunter2 refused'],
    ['a password written as a member', 'login failed, password: hunter2'],
    ['a prefixed password written as a member', 'userPassword: hunter2x is wrong'],
    ['an access token in a query string', 'GET /v1/charges?access_token=ya29.a0AfH6SM refused'],
    ['an AWS access key', 'AWS key AKIAIOSFODNN7EXAMPLE lacks s3:GetObject'],
    ['a Stripe key', 'key rk_test_51HxYzABCDEFGH is restricted'],
    ['a GitHub token', 'ghp_0123456789abcdefghijABCDEFGHIJ0123 has no repo scope'],
    ['a Slack token', 'xoxb-123456789012-abcdefghij revoked'],
    ['a private key', '-----BEGIN RSA PRIVATE KEY----- MIIEow'],
    ['a Java frame without a line', 'NullPointerException\n\tat com.acme.Foo.bar(Unknown Source)'],
    ['a native frame', 'at sun.nio.ch.Net.connect0(Native Method)'],
    ['a lower-case select of columns', 'select id, email from users'],
    ['a MySQL unknown column', "Unknown column 'emial' in 'field list'"],
    ['a MySQL syntax error', 'You have an error in your SQL syntax; check the manual'],
    ['a machine host name', 'timeout talking to mysql-01.eu-west.acme-corp.net'],
    ['a machine host name ending a sentence', 'Timeout talking to db.prod.eu.acme.com.'],
    ['a host name under a country domain', 'refused by api.billing.acme.com.au'],
    ['a machine host name under any domain', 'db-01.prod.eu.acme.tech refused'],
    ['a machine host name under a new domain', 'orders.prod.eu-west.acme.ai timed out'],
    ['a deep host name in a URL', 'GET http://orders.prod.eu-west.acme-corp.net/v1/orders failed'],
    ['a deep public-looking host name in a message', 'See https://errors.api.payments.example.com/problems/not-found'],
    ['a service name with a port', 'cannot reach billing-svc:8080'],
    ['a public address', 'upstream 52.14.200.7 refused'],
    ['a UNC path', 'cannot write \\\\fileserver01\\exports\\data'],
    ['a relative source path', 'thrown in ./src/server/handlers/projects.ts'],
    ['a macOS home path', 'cannot open /Users/dev/app/config.json'],
  ])('flags %s', (_name, text) => {
    expect(looksInternal(text)).toBe(true);
  });

  it.each([
    'Project p-9 not found',
    "Cannot transition from 'suggested' to 'implemented'. Valid transitions: accepted, rejected.",
    'File size (150 MB) exceeds 100 MB limit',
    'Rate limit exceeded. Retry after 12 seconds.',
    'Synthesis is already running for this workspace. Please wait.',
    '2 source(s) are not yet processed: User Interviews, Support Logs. Wait for processing to complete before synthesizing.',
    'Select a plan from the list and try again.',
    'Update your settings: the key has expired.',
    'Meeting at 10:30 was moved',
    'See https://docs.example.com/errors/not-found',
    'Invalid value for /mode',
    'Please select one option from the menu where available.',
    'Delete from your list whatever you no longer need.',
    'Insert into the form the values you want.',
    'Email bob@example.com is already taken',
    'No such customer: cus_123; a similar object exists in test mode',
    'Version 1.2.3 is required',
    'The ratio 16:9 is not supported',
    'Timestamp 2024-01-01T10:30:00Z is in the future',
    'https://api.example.com/v1/items?limit=10 is deprecated',
    'The file report.csv is too large',
    'Basic authentication is required',
    'Bearer token missing or malformed',
    'The access token has expired',
    'password: must be at least 12 characters',
    'password: too short',
    'token= is required',
    'Invalid signature: sha256 expected',
    'idempotencyKey=abc was used before',
    'The sort key=created_at is not indexed',
    'Invalid pageToken=abc123: it has expired',
    'nextPageToken=abc123 has expired',
    'continuation_token=xyz789 is stale',
    'signature=required',
    'authorization=denied for this scope',
    'cookie=consent required',
    'Token expired at 10:30',
    'The API key is invalid',
    'Look at the attached guide (section 2)',
    'Please select one option from the menu',
    'Use api.example.com instead',
    'Values 1.2, 3.4 and 5.6 are out of range',
    'Release 2024.10.1 is required',
    'The time slot 09:30-10:00 is taken',
    'Read the guide at https://docs.example.com/errors/not-found.',
    'Field user.profile.address.city is required',
    'order.items.0.id must be positive',
    '/data/attributes/name must be a string',
    'Field shipping.address.line1.city is required',
    'File holiday-photo.2024.06.jpg exceeds 10 MB',
  ])('lets %j through', (text) => {
    expect(looksInternal(text)).toBe(false);
  });
});

describe('looksInternal where dotted names are expected (field names, Problem types)', () => {
  it.each([
    'https://errors.api.payments.example.com/problems/not-found',
    'data.attributes.billing.info',
    'user.profile.address.city',
    'order.items.0.sku',
    'shipping.address.line1.city',
    'items.0.address2.city',
    'data.attributes.billing-address.post-code',
    'spec.containers.0.image-pull-policy',
  ])('lets %j through', (text) => {
    expect(looksInternal(text, { dottedNamesExpected: true })).toBe(false);
  });

  it.each([
    'mysql-01.eu-west.acme-corp.net',
    'db-1.internal',
    'metadata.google.internal',
    'redis.prod.svc.cluster.local',
    'prod-db.cluster-abc123.us-east-1.rds.amazonaws.com',
    'pg.postgres.database.azure.com',
    'db.service.dc1.consul',
    'nas.home.arpa',
    'https://api.payments-v2.prod.example.com/problems/x',
    'http://10.0.0.7/problems/x',
    'https://billing-svc/problems/x',
    'https://problems.example.com:8443/x',
  ])('still flags %j', (text) => {
    expect(looksInternal(text, { dottedNamesExpected: true })).toBe(true);
  });
});

describe('looksInternal on hostile text', () => {
  // A failed field checks several texts, and a response can fail many fields. Each check of
  // these texts once took about 0.2 s (a pattern backtracked over the whole run from every
  // start); now they take microseconds. A regression shows as this test timing out.
  it.each([
    ['dotted labels', 'a.', false],
    ['dotted digits', '1.', false],
    ['hyphenated labels', 'a-', false],
    ['SELECTs', 'SELECT ', false],
    ['bearer words', 'Bearer ', false],
    ['token halves', 'eyJa.', false],
    ['host-like labels', 'a.com.', true],
    ['parameters without values', 'token= ', false],
    ['hyphenated token starts', 'eyJ-', false],
    ['names before colons', 'token:', false],
    ['names and colons with digits', 'token:1', true],
    ['Java-like frames', 'at a.b.', false],
    ['backslash runs', '\\\\a', false],
    ['relative path pieces', './a', false],
    ['hyphens and colons', 'a-1:', false],
    ['lower-case column lists', 'select a, ', false],
  ])('checks text of %s, as long as it reads, 100 times without stalling', (_name, unit, flagged) => {
    const text = unit.repeat(Math.ceil(maxScannedLength / unit.length)).slice(0, maxScannedLength);
    for (let i = 0; i < 100; i++) expect(looksInternal(text)).toBe(flagged);
  }, 10_000);

  it('still finds a host name or SQL after a long hostile run', () => {
    expect(looksInternal(`${'a.'.repeat(4_000)}db-1.internal:5432`)).toBe(true);
    expect(looksInternal(`${'SELECT '.repeat(1_000)}${'a, '.repeat(60)}b FROM users`)).toBe(true);
  });

  it(`reads only the first ${maxScannedLength} characters`, () => {
    const host = 'db-1.internal:5432';
    expect(looksInternal(' '.repeat(maxScannedLength - host.length) + host)).toBe(true);
    expect(looksInternal(' '.repeat(maxScannedLength) + host)).toBe(false);
  });
});

describe('a 4xx upstream message that looks internal', () => {
  it('is replaced by the default sentence for its code and logged as withheld', () => {
    const body = { code: 'bad_request', message: 'syntax error at or near "WHERE" in SELECT id FROM users WHERE', details: { plan: 'SELECT plan FROM plans' } };
    const report = readErrorReport(400, { 'content-type': 'application/json' }, new TextEncoder().encode(JSON.stringify(body)));
    const logger = createRecordingLogger();
    const error = toGraphQLError(new UpstreamError({ service: 'workspaces', method: 'GET', path: '/x', failure: { kind: 'response', status: 400, report }, attempts: 1 }), { logger, requestId: 'r-1' });
    expect(error.message).toBe(defaultClientMessages.VALIDATION_ERROR);
    expect(error.extensions['code']).toBe('VALIDATION_ERROR');
    expect(error.extensions).not.toHaveProperty('details');
    expect(logger.entries).toEqual([expect.objectContaining({ message: 'upstream error detail withheld', fields: expect.objectContaining({ requestId: 'r-1', upstreamMessage: body.message }) })]);
  });
});
