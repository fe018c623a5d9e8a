/**
 * A GraphQL request whose `Accept` names no media type the endpoint can answer in is refused
 * with 406 before its operation runs. graphql-yoga picks the response's media type only once
 * the result is in: it ran the operation, upstream writes included, and then answered an empty
 * 406, so a client that retried that "failure" applied its mutation twice.
 *
 * The check reads `Accept` the way yoga's result processors do (so that whatever passes here,
 * yoga can write): no header means any type; ranges are matched with their wildcards; a range
 * whose `charset` is not utf-8 is skipped; `q` is not read.
 */
import type { Plugin } from 'graphql-yoga';
import { refusal } from './refusal.js';

/** What yoga's result processors write: regular results, and the incremental and SSE forms. */
export const answerableTypes = ['application/graphql-response+json', 'application/json', 'multipart/mixed', 'text/event-stream'] as const;

/** Whether some media range of `accept` (yoga's reading of it) matches a type the endpoint answers in. */
export function acceptsAnAnswer(accept: string | null): boolean {
  for (const range of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType = '', ...params] = range.split(';');
    const charset = params.find((param) => param.includes('charset='));
    if (charset !== undefined && charset !== 'charset=utf-8') continue;
    const [type, subtype] = mediaType.split('/');
    if (answerableTypes.some((answerable) => matches(answerable, type, subtype))) return true;
  }
  return false;
}

function matches(answerable: string, type: string | undefined, subtype: string | undefined): boolean {
  const [answerableType, answerableSubtype] = answerable.split('/');
  return (type === '*' || type === answerableType) && (subtype === '*' || subtype === answerableSubtype);
}

export function useAcceptPolicy(): Plugin {
  return {
    onRequestParse({ request, endResponse }) {
      const accept = request.headers.get('accept');
      if (acceptsAnAnswer(accept)) return;
      const asked = JSON.stringify((accept ?? '').slice(0, 100));
      const message = `Accept ${asked} names no type this endpoint answers in: ask for application/graphql-response+json or application/json.`;
      // JSON all the same: the caller accepts nothing this endpoint writes, and the refusal must still say why.
      endResponse(refusal(request, 'VALIDATION_ERROR', message, { status: 406 }));
    },
  };
}
