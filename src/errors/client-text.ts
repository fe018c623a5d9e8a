/**
 * Upstream text made fit for a client (ERRORS.md §4): one line, no control characters or
 * markup, bounded in length, and nothing that looks internal (stack frames, paths, SQL...).
 */
import { looksInternal, maxScannedLength, type InternalTextOptions } from './internal-text.js';

/** The longest client message, in characters (code points: an emoji is one). */
export const maxMessageLength = 300;

/**
 * Makes upstream text fit for a client: one line, control and invisible formatting characters
 * removed, markup tags removed (and any `<` left that would open one), whitespace collapsed,
 * at most `maxLength` characters, ending with `…` when cut. HTML entities are left as they are.
 */
export function sanitizeMessage(text: string, maxLength = maxMessageLength): string {
  if (typeof text !== 'string' || maxLength <= 0) return '';
  const scanned = text.length > maxScannedLength;
  const cleaned = cleanText(scanned ? text.slice(0, maxScannedLength) : text);
  if (cleaned.length <= maxLength && !scanned) return cleaned;
  // Counted in code points (cleaned text has no lone surrogates), so a pair is never split.
  const points = Array.from(cleaned);
  if (points.length <= maxLength && !scanned) return cleaned;
  return `${points.slice(0, maxLength - 1).join('').trimEnd()}…`;
}

/**
 * Text that cleaning would leave as it is: printable ASCII words without `<`, one space between
 * them. Most upstream messages are such text; for them one test replaces five replacements.
 */
const alreadyClean = /^[\x21-\x3b\x3d-\x7e]+(?: [\x21-\x3b\x3d-\x7e]+)*$/;

function cleanText(text: string): string {
  if (alreadyClean.test(text)) return text;
  return (
    text
      // Terminal escape sequences (colours, cursor moves, titles) go whole: only their ESC is a
      // control, and `[31m` would be left behind.
      .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,200}(?:\x07|\x1b\\)/g, '')
      // Controls and invisible formatting become spaces, so that removing one cannot join `<`
      // to a tag name: bidirectional marks and overrides, zero-width characters, soft hyphens.
      .replace(/[\p{Cc}\u00ad\u061c\u180e\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu, ' ')
      .replace(/\p{Cs}/gu, '')
      // A tag ends at a `>` outside quotes (`<a title="x>y" href="…">` is one tag), or, where a
      // quote never closes, at its first `>`. Each character can be read only one way in each
      // alternative, so a tag that never closes costs two scans, not more.
      .replace(/<\/?[A-Za-z!?](?:(?:[^<>"']|"[^"]*"|'[^']*')*|[^<>]*)>/g, ' ')
      // What is left of nested or unclosed tags (`<<b>b>` → `< b>`) loses its `<`; a space, not
      // nothing, so that an earlier `<` is not joined to what followed.
      .replace(/<(?=[A-Za-z/!?])/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** What a client may see of one upstream text, judged once. */
export interface ShownText {
  /** The cleaned text; `undefined` when none is shown (none sent, nothing left once cleaned, too long, or internal). */
  text: string | undefined;
  /** The text looked internal, so it was withheld: worth a log line. */
  internal: boolean;
}

const nothingSent: ShownText = { text: undefined, internal: false };

/** An upstream's 4xx message for a client: cleaned, cut to `maxMessageLength`, withheld when it looks internal. */
export function showMessage(text: string | undefined): ShownText {
  if (typeof text !== 'string') return nothingSent;
  const cleaned = sanitizeMessage(text);
  const internal = looksInternalAsSentOrCleaned(text, cleaned);
  return { text: internal || cleaned === '' ? undefined : cleaned, internal };
}

/** A short upstream text (a code, a title, a URI) for a client, whole: text that would need cutting is left out. */
export function showWhole(value: string | undefined, maxLength: number, options?: InternalTextOptions): ShownText {
  if (typeof value !== 'string') return nothingSent;
  if (value.length > maxLength * 4) return { text: undefined, internal: looksInternal(value, options) };
  const cleaned = cleanText(value);
  const internal = looksInternalAsSentOrCleaned(value, cleaned, options);
  return { text: internal || cleaned === '' || cleaned.length > maxLength ? undefined : cleaned, internal };
}

/** Cleaning can join what markup kept apart, so cleaned text is checked too when it differs. */
function looksInternalAsSentOrCleaned(text: string, cleaned: string, options?: InternalTextOptions): boolean {
  return looksInternal(text, options) || (cleaned !== text && looksInternal(cleaned, options));
}

/** An upstream's 4xx text for the client: cleaned, or `''` when there is none or it looks internal. */
export function clientText(text: string | undefined): string {
  return showMessage(text).text ?? '';
}

/** Cleaned text when it fits in `maxLength` as it is; text that would need cutting is left out. */
export function shortText(value: string | undefined, maxLength: number, options?: InternalTextOptions): string | undefined {
  return showWhole(value, maxLength, options).text;
}
