/**
 * `Retry-After` and the HTTP dates (RFC 9110 §5.6.7) it may carry. Here, in the client module that
 * imports nothing, so that the gateway (reading its upstreams' answers) and `conflux/client`
 * (reading the gateway's) read it exactly alike: the three date forms HTTP defines, and nothing
 * else that `Date.parse` would take (`later 5` reads as a day in 2001 there).
 */

/** The longest `Retry-After` kept, in seconds (one year); longer values are clamped to it. */
export const maxRetryAfterSeconds = 365 * 24 * 60 * 60;

/** A `Retry-After` in seconds, the form whose reading does not move with the clock (an HTTP date does). */
export const delaySeconds = /^\s*-?\d+(?:\.\d+)?\s*$/;

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const imfFixdate = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const rfc850Date = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const asctimeDate = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** The three HTTP-date forms of RFC 9110 §5.6.7, as epoch ms; `undefined` for anything else. `now` (epoch ms) places a two-digit year. */
export function parseHttpDate(text: string, now: number): number | undefined {
  let match = imfFixdate.exec(text);
  if (match) return utc(match[3], match[2], match[1], match[4], match[5], match[6]);
  match = rfc850Date.exec(text);
  if (match) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead means the previous century.
    const thisYear = new Date(now).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(match[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(String(year), match[2], match[1], match[4], match[5], match[6]);
  }
  match = asctimeDate.exec(text);
  if (match) return utc(match[6], match[1], match[2], match[3], match[4], match[5]);
  return undefined;
}

function utc(year?: string, month?: string, day?: string, hours?: string, minutes?: string, seconds?: string): number | undefined {
  const monthIndex = months.indexOf((month ?? '').toLowerCase());
  const parts = [year, day, hours, minutes, seconds].map((part) => Number((part ?? '').trim()));
  const [y, d, h, m, s] = parts as [number, number, number, number, number];
  if (monthIndex < 0 || parts.some((part) => !Number.isInteger(part)) || d < 1 || d > 31 || h > 23 || m > 59 || s > 60) return undefined;
  return Date.UTC(y, monthIndex, d, h, m, s);
}

/**
 * A `Retry-After` value as whole seconds from `now` (epoch ms): delta-seconds, or an HTTP date
 * (IMF-fixdate, RFC 850 or asctime), rounded up and never negative. Seconds written as a
 * fraction or below zero (`1.5`, `-5`), which HTTP does not allow, are read the same way (2, 0)
 * rather than dropped, as they are in a body member. Anything else: `undefined`.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim();
  if (delaySeconds.test(text)) return clampSeconds(Number(text));
  // The header sent twice reaches here joined (`5, 7`): the first delay counts.
  const first = /^(-?\d+(?:\.\d+)?)\s*,/.exec(text);
  if (first) return clampSeconds(Number(first[1]));
  const at = parseHttpDate(text, now);
  if (at === undefined) return undefined;
  return clampSeconds(Math.ceil((at - now) / 1000));
}

/** Seconds rounded up, from 0 to `maxRetryAfterSeconds`; `undefined` when not finite. */
export function clampSeconds(seconds: number): number | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(maxRetryAfterSeconds, Math.max(0, Math.ceil(seconds)));
}
