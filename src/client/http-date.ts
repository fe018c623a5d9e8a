/**
 * HTTP dates (RFC 9110 §5.6.7), as `Retry-After` carries them. Here, in the client module that
 * imports nothing, so that the gateway (reading its upstreams' answers) and `conflux/client`
 * (reading the gateway's) accept exactly the same dates: the three forms HTTP defines, and
 * nothing else that `Date.parse` would take (`later 5` reads as a day in 2001 there).
 */

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
