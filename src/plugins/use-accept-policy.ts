/**
 * How a GraphQL request's `Accept` is read, in two places.
 *
 * A request whose `Accept` names no media type the endpoint can answer in is refused with 406
 * before its operation runs. graphql-yoga picks the response's media type only once the result
 * is in: it ran the operation, upstream writes included, and then answered an empty 406, so a
 * client that retried that "failure" applied its mutation twice. The check reads `Accept` the
 * way yoga's result processors do (so that whatever passes here, yoga can write): no header
 * means any type; ranges are matched with their wildcards; a range whose `charset` is not utf-8
 * is skipped; `q` is not read.
 *
 * A client that names `application/graphql-response+json` is answered in it (ERRORS.md §5: a
 * request-level error is then a 400), wherever it stands in the list. yoga takes the first type
 * listed, so `application/json, application/graphql-response+json` got a 200 for an invalid
 * document. A client that lists a streaming type (`multipart/mixed`, `text/event-stream`) before
 * any other keeps yoga's choice.
 *
 * `q=0` refuses a type (its most specific range decides, as HTTP says). yoga does not read `q`:
 * `application/graphql-response+json;q=0, application/json` was answered in the refused type,
 * with its 400, and a header refusing every type got an answer rather than a 406. Where a type
 * is refused, the other of the two regular types is written instead; where both are, the result
 * is one server-sent event when `text/event-stream` is accepted, else a 406 (yoga would have
 * written the refused type).
 */
import { getSSEProcessor, isAsyncIterable, processRegularResult, type Plugin } from 'graphql-yoga';
import { refusal } from './refusal.js';

/** What yoga's result processors write: regular results, and the incremental and SSE forms. */
export const answerableTypes = ['application/graphql-response+json', 'application/json', 'multipart/mixed', 'text/event-stream'] as const;

/** A media range of `Accept` as yoga reads it: lower case, no spaces, only utf-8 (or no) charset. */
interface MediaRange {
  type: string;
  subtype: string;
  /** `q=0`: the client refuses this type. */
  refused: boolean;
}

function mediaRanges(accept: string | null): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const range of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType = '', ...params] = range.split(';');
    const charset = params.find((param) => param.includes('charset='));
    if (charset !== undefined && charset !== 'charset=utf-8') continue;
    const [type = '', subtype = ''] = mediaType.split('/');
    ranges.push({ type, subtype, refused: params.some((param) => /^q=0(?:\.0{0,3})?$/.test(param)) });
  }
  return ranges;
}

/** Whether a media range accepts a type the endpoint answers in. */
const answers = (range: MediaRange) => !range.refused && answerableTypes.some((answerable) => matches(answerable, range));

const graphqlResponseType = 'application/graphql-response+json';
const jsonType = 'application/json';
const streamingTypes: readonly string[] = ['multipart/mixed', 'text/event-stream'];
const eventStreamType = 'text/event-stream';

/** Whether `type` is acceptable: its most specific matching range (an exact type, then a type's range, then any type) is not refused. */
function acceptable(type: string, ranges: readonly MediaRange[]): boolean {
  let best: MediaRange | undefined;
  for (const range of ranges) if (matches(type, range) && (best === undefined || specificity(range) > specificity(best))) best = range;
  return best !== undefined && !best.refused;
}

const specificity = (range: MediaRange) => (range.type === '*' ? 0 : range.subtype === '*' ? 1 : 2);

/** The type a result that is not a stream is written in where yoga's choice would be wrong; `undefined` keeps yoga's. */
function regularResultType(ranges: readonly MediaRange[]): typeof graphqlResponseType | typeof jsonType | undefined {
  if (namesGraphqlResponse(ranges)) {
    const first = ranges.find(answers);
    if (first === undefined || !streamingTypes.includes(`${first.type}/${first.subtype}`)) return graphqlResponseType;
  }
  if (!ranges.some((range) => range.refused)) return undefined;
  if (acceptable(jsonType, ranges)) return jsonType;
  return acceptable(graphqlResponseType, ranges) ? graphqlResponseType : undefined;
}

/** Whether `Accept` names `application/graphql-response+json` itself, not refused. */
const namesGraphqlResponse = (ranges: readonly MediaRange[]) => ranges.some((range) => !range.refused && `${range.type}/${range.subtype}` === graphqlResponseType);

/**
 * The media type of an answer made outside yoga to a request with this `Accept` (a missing
 * credential, a method not served, the edge's misconfiguration), so that such refusals honour
 * `q=0` and case as every other answer does: `application/graphql-response+json` where a result
 * would be written in it, else `application/json`.
 */
export function refusalMediaType(accept: string | null): typeof graphqlResponseType | typeof jsonType {
  const ranges = mediaRanges(accept);
  // Where our choice is left to yoga (a streaming type listed first), yoga writes a regular
  // result in `application/graphql-response+json` when the caller names it.
  return regularResultType(ranges) ?? (namesGraphqlResponse(ranges) ? graphqlResponseType : jsonType);
}

function matches(answerable: string, range: MediaRange): boolean {
  const [answerableType, answerableSubtype] = answerable.split('/');
  return (range.type === '*' || range.type === answerableType) && (range.subtype === '*' || range.subtype === answerableSubtype);
}

export function useAcceptPolicy(): Plugin {
  const eventStream = getSSEProcessor();
  // The type each request's result is to be written in, where not yoga's; `Accept` is read once, here.
  const chosen = new WeakMap<Request, string>();
  return {
    onRequestParse({ request, endResponse, fetchAPI }) {
      const accept = request.headers.get('accept');
      const ranges = mediaRanges(accept);
      // With a refusal in play yoga's choice cannot be trusted: the type is chosen here, a regular
      // one, else server-sent events (yoga's processor writes one result as one event).
      const refusing = ranges.some((range) => range.refused);
      const type = regularResultType(ranges) ?? (refusing && acceptable(eventStreamType, ranges) ? eventStreamType : undefined);
      if (refusing ? type !== undefined : answerableTypes.some((answerable) => acceptable(answerable, ranges))) {
        if (type !== undefined) chosen.set(request, type);
        return;
      }
      const asked = JSON.stringify((accept ?? '').slice(0, 100));
      const message = `Accept ${asked} names no type this endpoint answers in: ask for application/graphql-response+json or application/json.`;
      // JSON all the same: the caller accepts nothing this endpoint writes, and the refusal must still say why.
      endResponse(refusal(fetchAPI, request, 'VALIDATION_ERROR', message, { status: 406 }));
    },
    // After yoga's own choice (its result processors come before every plugin of ours).
    onResultProcess({ request, result, setResultProcessor }) {
      const type = chosen.get(request);
      if (type === undefined || isAsyncIterable(result)) return;
      setResultProcessor(type === eventStreamType ? eventStream : processRegularResult, type);
    },
  };
}
