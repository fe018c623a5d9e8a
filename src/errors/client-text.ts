/**
 * Upstream text made fit for a client (ERRORS.md §4): one line, no control characters or
 * markup, bounded in length, and nothing that looks internal (stack frames, paths, SQL...).
 */
import { looksInternal, maxScannedLength } from './internal-text.js';

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

function cleanText(text: string): string {
  return (
    text
      // Controls become spaces first, so that removing one cannot join `<` to a tag name.
      .replace(/[\p{Cc}\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu, ' ')
      .replace(/\p{Cs}/gu, '')
      .replace(/<\/?[A-Za-z!?][^<>]*>/g, ' ')
      // What is left of nested or unclosed tags (`<<b>b>` → `< b>`) loses its `<`; a space, not
      // nothing, so that an earlier `<` is not joined to what followed.
      .replace(/<(?=[A-Za-z/!?])/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** An upstream's 4xx text for the client: cleaned, or `''` when there is none or it looks internal. */
export function clientText(text: string | undefined): string {
  if (text === undefined) return '';
  const cleaned = sanitizeMessage(text);
  return looksInternal(text) || looksInternal(cleaned) ? '' : cleaned;
}

/** Cleaned text when it fits in `maxLength` as it is; text that would need cutting is left out. */
export function shortText(value: string | undefined, maxLength: number): string | undefined {
  if (typeof value !== 'string' || value.length > maxLength * 4) return undefined;
  const cleaned = cleanText(value);
  return cleaned === '' || cleaned.length > maxLength || looksInternal(value) || looksInternal(cleaned) ? undefined : cleaned;
}
