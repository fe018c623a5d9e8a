/**
 * `extensions.details`: the client-safe specifics an upstream sent (ERRORS.md §4) — field
 * errors, required scope, usage figures, valid transitions — and nothing else.
 */
import type { FieldError, UpstreamErrorReport } from '../upstream/failure.js';
import { foldCode } from './classify.js';
import { clientText, sanitizeMessage } from './client-text.js';
import { looksInternal } from './internal-text.js';

const maxListItems = 50;

/**
 * A field's name as a path of names and indices (`data.attributes.address.city`,
 * `items[0].sku`, `order.items.0.sku`): a deep one must not be taken for a host name, though an
 * internal one (`db-1.internal`, a cloud database host) is still withheld.
 */
const fieldPath = /^[\p{L}_$][\p{L}\p{N}_$-]*(?:\.[\p{L}\p{N}_$-]+|\[\d+\])*$/u;
const dottedField = { dottedNamesExpected: true } as const;

/** `extensions.details`: the client-safe specifics of ERRORS.md §4, nothing else. */
export interface ContractDetails {
  fieldErrors?: FieldError[];
  requiredScope?: string | string[];
  current?: number;
  limit?: number;
  plan?: string;
  validTransitions?: string[];
}

/** The client-safe detail keys, folded (any casing of the upstream's key is read). */
const safeDetailKeys: Readonly<Record<string, Exclude<keyof ContractDetails, 'fieldErrors'>>> = {
  required_scope: 'requiredScope',
  current: 'current',
  limit: 'limit',
  plan: 'plan',
  valid_transitions: 'validTransitions',
};

export function isSafeDetailKey(key: string): boolean {
  return key.length <= 64 && Object.hasOwn(safeDetailKeys, foldCode(key));
}

export function clientDetails(report: UpstreamErrorReport): ContractDetails | undefined {
  const details: ContractDetails = {};
  const fieldErrors = report.fieldErrors.slice(0, 100).flatMap((item) => {
    const field = sanitizeMessage(item.field, 200);
    const options = fieldPath.test(field) ? dottedField : undefined;
    const kept = field !== '' && !(looksInternal(item.field, options) || looksInternal(field, options));
    return kept ? [{ field, message: clientText(item.message) || 'Invalid value.' }] : [];
  });
  if (fieldErrors.length > 0) details.fieldErrors = fieldErrors;
  for (const [key, value] of Object.entries(report.details)) {
    if (!isSafeDetailKey(key)) continue;
    const name = safeDetailKeys[foldCode(key)]!;
    if (details[name] !== undefined) continue;
    switch (name) {
      case 'current':
      case 'limit':
        if (typeof value === 'number' && Number.isFinite(value)) details[name] = value;
        break;
      case 'plan': {
        const plan = typeof value === 'string' && !looksInternal(value) ? sanitizeMessage(value, 100) : '';
        if (plan !== '') details.plan = plan;
        break;
      }
      case 'requiredScope': {
        const scopes = textList(value, 200);
        if (scopes !== undefined) details.requiredScope = typeof value === 'string' ? scopes.join(' ') : scopes;
        break;
      }
      case 'validTransitions': {
        // An empty list says something: no transition is possible from here.
        if (Array.isArray(value) && value.length === 0) {
          details.validTransitions = [];
          break;
        }
        const transitions = textList(typeof value === 'string' ? value.split(',', maxListItems) : value, 100);
        if (transitions !== undefined) details.validTransitions = transitions;
        break;
      }
    }
  }
  return Object.keys(details).length === 0 ? undefined : details;
}

/** A string or an array of strings, each cleaned; `undefined` when nothing is left. */
function textList(value: unknown, maxLength: number): string[] | undefined {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value.slice(0, maxListItems) : [];
  const texts = items.flatMap((item) => (typeof item === 'string' && !looksInternal(item) ? [sanitizeMessage(item, maxLength)] : [])).filter((text) => text !== '' && !looksInternal(text));
  return texts.length === 0 ? undefined : texts;
}
