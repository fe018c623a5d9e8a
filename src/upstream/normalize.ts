/**
 * Reads a non-2xx upstream response into an `UpstreamErrorReport`, whatever its dialect
 * (ERRORS.md §3): facts only, never a decision about the canonical code. It never throws: a
 * body it cannot read (binary, HTML, invalid JSON, not an object) is the `none` dialect.
 */
import type { UpstreamErrorReport } from './failure.js';
import { isJsonObject, memberOf, type DialectReader, type JsonObject } from './dialects/dialect-reader.js';
import { flatDialect } from './dialects/flat.js';
import { firstObjectItem, listDialect } from './dialects/list.js';
import { nestedDialect } from './dialects/nested.js';
import { oauthDialect } from './dialects/oauth.js';
import { problemDialect } from './dialects/problem.js';
import { bodyText } from './read-body.js';
import { clampSeconds, parseRetryAfter } from '../client/http-date.js';

/**
 * Dialects in the order they are tried, that of ERRORS.md §3; the first that recognises a body
 * reads it. Problem Details come first (its media type is explicit), then the flat `code` +
 * `message` (Fastify's errors add a string `error` holding the reason phrase: the code is
 * `code`), the shapes keyed by `error` (an object with `code`, then a string), and the `errors`
 * list last: a body with both `error` and `errors` is read by its `error`.
 */
export { delaySeconds, maxRetryAfterSeconds, parseRetryAfter } from '../client/http-date.js';

export const dialectReaders: readonly DialectReader[] = [problemDialect, flatDialect, nestedDialect, oauthDialect, listDialect];


const safeRequestId = /^[A-Za-z0-9._:-]{1,128}$/;
const requestIdHeaders = ['x-request-id', 'x-trace-id'] as const;
const requestIdMembers = ['trace_id', 'traceId', 'request_id', 'requestId'] as const;
const retryAfterMembers = ['retry_after', 'retryAfter'] as const;


/**
 * Reads an error response. `headers` may use any case; `now` (epoch ms) anchors an HTTP-date
 * `Retry-After`. `status` does not change how a body is read (the canonical code is decided in
 * `errors/classify.ts`); it is taken so that every reader of a response has the same inputs.
 */
export function readErrorReport(status: number, headers: Record<string, string>, body: Uint8Array, now: () => number = Date.now): UpstreamErrorReport {
  const lowerHeaders = lowerCaseHeaders(headers);
  const contentType = mediaTypeOf(lowerHeaders['content-type']);
  const parsed = parseObject(body, lowerHeaders['content-type']);
  const reader = parsed === undefined ? undefined : dialectReaders.find((candidate) => candidate.recognise(parsed, contentType));
  const report: UpstreamErrorReport = parsed !== undefined && reader !== undefined ? reportOf(reader.dialect, reader.read(parsed)) : { dialect: 'none', fieldErrors: [], details: {} };

  // The body's own objects, not the report's copies: those keep only the first members. A nested
  // `error` may have `details` of its own, and an error list's first object item carries the rest.
  const error = parsed === undefined ? undefined : memberOf(parsed, 'error');
  const bodySources: JsonObject[] =
    parsed === undefined
      ? []
      : [parsed, memberOf(parsed, 'details'), error, isJsonObject(error) ? memberOf(error, 'details') : undefined, firstObjectItem(memberOf(parsed, 'errors'))].filter(isJsonObject);

  const headerRetry = lowerHeaders['retry-after'];
  const retryAfterSeconds = (headerRetry === undefined ? undefined : parseRetryAfter(headerRetry, now())) ?? firstRetryAfterMember(bodySources);
  if (retryAfterSeconds !== undefined) report.retryAfterSeconds = retryAfterSeconds;

  const upstreamRequestId = firstRequestId(requestIdHeaders.map((name) => lowerHeaders[name]), bodySources);
  if (upstreamRequestId !== undefined) report.upstreamRequestId = upstreamRequestId;
  return report;
}

/** The upstream's request id from its `x-request-id` or `x-trace-id` header (lower-case names), when it is a safe one. */
export function requestIdFromHeaders(headers: Readonly<Record<string, string>>): string | undefined {
  return firstRequestId(requestIdHeaders.map((name) => headers[name]), []);
}

function firstRetryAfterMember(sources: readonly JsonObject[]): number | undefined {
  for (const source of sources) {
    for (const key of retryAfterMembers) {
      const value = memberOf(source, key);
      if (typeof value === 'number') {
        const seconds = clampSeconds(value);
        if (seconds !== undefined) return seconds;
      } else if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
        const seconds = clampSeconds(Number(value));
        if (seconds !== undefined) return seconds;
      }
    }
  }
  return undefined;
}

/**
 * The first request id, headers first, that is a short safe token; unsafe ones are dropped. A
 * header sent twice (a proxy adding its own) arrives joined (`a, b`): its first value counts.
 */
function firstRequestId(headerValues: readonly (string | undefined)[], sources: readonly JsonObject[]): string | undefined {
  const candidates: unknown[] = headerValues.map((value) => value?.split(',', 1)[0]!.trim());
  for (const source of sources) for (const key of requestIdMembers) candidates.push(memberOf(source, key));
  for (const candidate of candidates) {
    const text = typeof candidate === 'number' && Number.isSafeInteger(candidate) ? String(candidate) : candidate;
    if (typeof text === 'string' && safeRequestId.test(text)) return text;
  }
  return undefined;
}

function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string' && name !== '__proto__') out[name.toLowerCase()] = value;
  }
  return out;
}

/** `application/problem+json; charset=utf-8` → `application/problem+json`. */
function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}


/** The body as a JSON object, or `undefined` for anything else (arrays, scalars, text, bytes). */
function parseObject(body: Uint8Array, contentType: string | undefined): JsonObject | undefined {
  if (!(body instanceof Uint8Array) || body.byteLength === 0) return undefined;
  // In the charset the answer names, else UTF-8 (invalid bytes become U+FFFD, a byte-order mark is skipped).
  const text = bodyText(body, contentType).trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON after all: the `none` dialect, a default message for the status.
    return undefined;
  }
  return isJsonObject(value) ? value : undefined;
}

/** The dialect's reading with its name first and the members it left undefined dropped, in one pass. */
function reportOf(dialect: UpstreamErrorReport['dialect'], read: object): UpstreamErrorReport {
  const out: Record<string, unknown> = { dialect };
  for (const [key, member] of Object.entries(read)) if (member !== undefined) out[key] = member;
  return out as unknown as UpstreamErrorReport;
}
