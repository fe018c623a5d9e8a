/**
 * Bearer keys never reach the log: a failing upstream that echoes the caller's key in its
 * message and body, logged at debug level through the production logger, leaves no trace of it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, redactedValue, scrubSecrets } from '../src/create-logger.js';
import { createConsoleLogger } from '../src/log.js';
import { startGateway, type RunningGateway } from '../src/main.js';
import { json, startTestServer, type TestServer } from './support/http-server.js';

const key = 'sk-live-TOPSECRET-4f9a';

let gateway: RunningGateway | undefined;
let upstream: TestServer | undefined;
afterEach(async () => {
  await gateway?.stop(0);
  await upstream?.close();
  gateway = upstream = undefined;
});

describe('createLogger', () => {
  it('logs an upstream failure without the bearer key the caller sent', async () => {
    upstream = await startTestServer((request, response) =>
      json(response, 500, {
        error: {
          code: 'query_failed',
          message: `auth check failed for ${request.headers['authorization']}`,
          authorization: request.headers['authorization'],
          api_key: key,
          headers: { Authorization: request.headers['authorization'] },
        },
      }),
    );
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    gateway = await startGateway({ PORT: '0', DIRECTORY_URL: upstream.url, LOG_LEVEL: 'debug' }, { logger });
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ user(id: "u-1") { name } }' }),
    });
    const body = await response.text();
    expect(body).toContain('UPSTREAM_ERROR');
    expect(upstream.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${key}`);

    const log = lines.join('');
    expect(log).toContain('upstream error detail withheld');
    expect(log).toContain(redactedValue);
    expect(log).not.toContain(key);
    expect(body).not.toContain(key);
  });

  it('logs no bearer key or idempotency key of the caller that an upstream echoed bare, with no name to tell it by', async () => {
    const bareKey = 'CALLERKEY9f8e7d6c5b4a';
    const idempotencyKey = 'IDEMKEY-SECRET-77';
    upstream = await startTestServer((request, response) =>
      json(
        response,
        500,
        { type: 'https://problems.example/internal', title: 'Failed', status: 500, detail: `key ${bareKey} may not use ${request.headers['idempotency-key']} twice`, k: bareKey, used: idempotencyKey },
        { 'content-type': 'application/problem+json' },
      ),
    );
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    gateway = await startGateway({ PORT: '0', KNOWLEDGE_URL: upstream.url, LOG_LEVEL: 'debug' }, { logger });
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bareKey}` },
      body: JSON.stringify({ query: `mutation { rememberFact(contextId: "c-1", text: "t", idempotencyKey: "${idempotencyKey}") { id } }` }),
    });
    expect(await response.text()).toContain('UPSTREAM_ERROR');
    expect(upstream.requests.at(-1)!.headers['idempotency-key']).toBe(idempotencyKey);
    const log = lines.join('');
    expect(log).toContain('upstream error detail withheld');
    expect(log).not.toContain(bareKey);
    expect(log).not.toContain(idempotencyKey);
  });

  it('scrubs withheld details before cutting them short for the log', async () => {
    // Details over 2,000 characters are logged as cut JSON text, whose keys the logger can no
    // longer see: the token once went out whole.
    upstream = await startTestServer((_request, response) =>
      json(response, 400, { error: { code: 'bad_request', message: 'bad', token: 'SECRET_B_TOKEN', 'Idempotency-Key': 'SECRET_H_IDEM', padding: 'x'.repeat(2500) } }),
    );
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    gateway = await startGateway({ PORT: '0', DIRECTORY_URL: upstream.url, LOG_LEVEL: 'debug' }, { logger });
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query: '{ user(id: "u-1") { name } }' }),
    });
    expect(await response.text()).toContain('VALIDATION_ERROR');
    const log = lines.join('');
    expect(log).toContain('upstream error detail withheld');
    expect(log).not.toMatch(/SECRET_B_TOKEN|SECRET_H_IDEM/);
  });

  it('scrubs credentials from free text and secret-named keys at any depth', () => {
    expect(
      scrubSecrets({ message: 'sent Bearer abc.DEF-123= and basic dXNlcjpwYXNz', nested: [{ Authorization: 'x', 'X-Api-Key': 'y', access_token: 'z', fine: 'kept' }] }),
    ).toEqual({ message: `sent Bearer ${redactedValue} and basic ${redactedValue}`, nested: [{ Authorization: redactedValue, 'X-Api-Key': redactedValue, access_token: redactedValue, fine: 'kept' }] });
  });

  it('scrubs keys that end like a secret, and secrets passed as parameters in text', () => {
    expect(scrubSecrets({ refresh_token: 'a', sessionToken: 'b', private_key: 'c', db_password: 'd', maxTokens: 5, keyPrefix: 'k' })).toEqual({
      refresh_token: redactedValue,
      sessionToken: redactedValue,
      private_key: redactedValue,
      db_password: redactedValue,
      maxTokens: 5,
      keyPrefix: 'k',
    });
    expect(scrubSecrets('GET /cb?api_key=K1&access_token=T2&page=3 failed; password=hunter2')).toBe(
      `GET /cb?api_key=${redactedValue}&access_token=${redactedValue}&page=3 failed; password=${redactedValue}`,
    );
  });

  it('scrubs secret access keys, connection strings, and secrets written as members or in URLs', () => {
    expect(scrubSecrets({ secret_key: 'a', aws_secret_access_key: 'b', accessKey: 'c', dsn: 'd', connection_string: 'e', accessKeyId: 'kept' })).toEqual({
      secret_key: redactedValue,
      aws_secret_access_key: redactedValue,
      accessKey: redactedValue,
      dsn: redactedValue,
      connection_string: redactedValue,
      accessKeyId: 'kept',
    });
    expect(scrubSecrets('could not connect postgres://admin:SECRETDSN500@db.internal:5432/app')).toBe(`could not connect postgres://admin:${redactedValue}@db.internal:5432/app`);
    expect(scrubSecrets('{"password":"hunter2","user":"bob"} and password: hunter3; api_key : K9')).toBe(
      `{"password":"${redactedValue}","user":"bob"} and password: ${redactedValue}; api_key : ${redactedValue}`,
    );
    expect(scrubSecrets('see https://docs.example.com/errors and mailto:a@b.c')).toBe('see https://docs.example.com/errors and mailto:a@b.c');
    expect(scrubSecrets('{"password":"correct horse battery staple","user":"bob"}')).toBe(`{"password":"${redactedValue}","user":"bob"}`);
    expect(scrubSecrets("db_password: x; DB_PASSWORD=y; X-Api-Key: K1; csrf_token: t; {'secret_key': 's k'}")).toBe(
      `db_password: ${redactedValue}; DB_PASSWORD=${redactedValue}; X-Api-Key: ${redactedValue}; csrf_token: ${redactedValue}; {'secret_key': '${redactedValue}'}`,
    );
    expect(scrubSecrets('redis://:s3cret@cache:6379 and amqp://u:p@ss@h/v')).toBe(`redis://:${redactedValue}@cache:6379 and amqp://u:${redactedValue}@h/v`);
    expect(scrubSecrets('sent authorization: Token abc123 upstream')).toBe(`sent authorization: ${redactedValue}`);
  });

  it('scrubs secret names run into their prefix, spaced signs, cookies, tokens on their own and base64 passwords in URLs', () => {
    expect(scrubSecrets('dbPassword=hunter2abc; userPassword: hunter2def; newPassword="correct horse battery"')).toBe(
      `dbPassword=${redactedValue}; userPassword: ${redactedValue}; newPassword="${redactedValue}"`,
    );
    expect(scrubSecrets('apiToken=t0k3n awsSecretAccessKey=wJalrXUtnFEMI/K7MDENG password = hunter2')).toBe(
      `apiToken=${redactedValue} awsSecretAccessKey=${redactedValue} password=${redactedValue}`,
    );
    expect(scrubSecrets('cookie: session=abc123; theme=dark')).toBe(`cookie: ${redactedValue}; theme=dark`);
    expect(scrubSecrets('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl expired')).toBe(`token ${redactedValue} expired`);
    expect(scrubSecrets('postgres://admin:Zm9v/YmFyQk@db.example.com/app')).toBe(`postgres://admin:${redactedValue}@db.example.com/app`);
    expect(scrubSecrets({ credential: 'c', credentials: 'cs', passphrase: 'p', keyId: 'kept' })).toEqual({ credential: redactedValue, credentials: redactedValue, passphrase: redactedValue, keyId: 'kept' });
    expect(scrubSecrets(`${'EU_WEST_1_'.repeat(10)}DB_PASSWORD=hunter2`)).toBe(`${'EU_WEST_1_'.repeat(10)}DB_PASSWORD=${redactedValue}`);
    // A port and a path before an `@` are no password.
    expect(scrubSecrets('GET http://billing-svc:8080/v1/users/ada@example.com failed')).toBe('GET http://billing-svc:8080/v1/users/ada@example.com failed');
    // Names that only contain a secret's are not secrets.
    expect(scrubSecrets('passwordHint=blue tokenizer=bpe designer=ada')).toBe('passwordHint=blue tokenizer=bpe designer=ada');
  });

  it('scrubs key formats known by their shape, private keys, short secret names and an Idempotency-Key quoted in text', () => {
    expect(scrubSecrets('keys AKIAIOSFODNN7EXAMPLE sk_live_4eC39HqLyjWDarjtT1zdp7dc ghp_16C7e42F292c6912E7710c838347Ae178B4a and xoxb-1234567890-abcdefghij')).toBe(
      `keys ${redactedValue} ${redactedValue} ${redactedValue} and ${redactedValue}`,
    );
    expect(scrubSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIEPRIVATEKEYBODY1\n-----END RSA PRIVATE KEY----- after')).toBe(`${redactedValue} after`);
    // A body whose first line was cut off still goes, up to its last line.
    expect(scrubSecrets('cut: MIIEPRIVATEKEY\nBODY2==\n-----END PRIVATE KEY----- after')).toBe(`cut:${redactedValue} after`);
    expect(scrubSecrets('pwd=PWDVAL1 pass=PASSVAL1 session=SESSIONVAL1')).toBe(`pwd=${redactedValue} pass=${redactedValue} session=${redactedValue}`);
    expect(scrubSecrets({ pwd: 'a', pass: 'b', session: 'c', sessions: 'kept' })).toEqual({ pwd: redactedValue, pass: redactedValue, session: redactedValue, sessions: 'kept' });
    expect(scrubSecrets('raw header Idempotency-Key: IDEMHDR88; idempotency_key: "IDEM2"')).toBe(`raw header Idempotency-Key: ${redactedValue}; idempotency_key: "${redactedValue}"`);
  });

  it.each(['eyJ-', 'password', 'a_', 'token: 1', 'dbPassword="', 'postgres://a:', 'AKIA', 'MIIE', '-----END PRIVATE KEY-----', 'pass='])('scrubs 1 MB of %j repeated without stalling', (unit) => {
    // The log scrubs every string of a record, a URL path or an upstream's echo of caller input
    // included: a pattern that backtracked over such a run blocked the event loop for minutes
    // (the test's timeout is what fails then).
    const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
    expect(typeof scrubSecrets(text)).toBe('string');
  }, 10_000);

  it('the edge logger (console, no pino) scrubs the same way', () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      createConsoleLogger('info').warn({ upstreamMessage: 'sent Bearer sk_live_SECRET1 to api_key=SECRET2', details: { password: 'SECRET3' } }, 'upstream error detail withheld');
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/SECRET\d/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'upstream error detail withheld', details: { password: redactedValue } });
  });

  it('logs nothing below 8 levels of nesting, so nothing unchecked', () => {
    let deep: Record<string, unknown> = { password: 'SECRET_DEEP_PW' };
    for (let level = 0; level < 9; level++) deep = { level: deep };
    expect(JSON.stringify(scrubSecrets({ details: deep }))).not.toContain('SECRET_DEEP_PW');
  });

  it('judges a key the same way every time it is seen, whatever its case', () => {
    for (let round = 0; round < 3; round++) {
      expect(scrubSecrets({ PASSWORD: 'a', Client_Secret: 'b', passwords: 'kept', note: 'BEARER tok.en and bEaRer x', plain: 'no credential here' })).toEqual({
        PASSWORD: redactedValue,
        Client_Secret: redactedValue,
        passwords: 'kept',
        note: `BEARER ${redactedValue} and bEaRer ${redactedValue}`,
        plain: 'no credential here',
      });
    }
  });
});
