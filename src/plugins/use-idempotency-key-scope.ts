/**
 * An `Idempotency-Key` header names one write. Forwarded to every write of a document holding
 * several, it made the upstream replay the first write's answer for the others, or refuse them
 * as a clash: writes lost without a word. A mutation with more than one root field that comes
 * with the header is refused before anything runs (`VALIDATION_ERROR`, like an invalid
 * document): one write per request, or `rememberFact`'s own `idempotencyKey` argument. A batch
 * is one request: its writes are counted together.
 *
 * A header that could not be forwarded as it is (not 1 to 255 printable ASCII characters, or
 * named in `Connection`, which keeps it to one hop) on a mutation is refused the same way:
 * dropping it silently would send a write the client believes deduplicated, and a retry of it
 * could apply twice.
 */
import { getOperationAST, GraphQLError, Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isSaneIdempotencyKey, maxIdempotencyKeyLength } from '../upstream/client.js';

export const oneWritePerKeyMessage =
  'An Idempotency-Key header covers one write: send one mutation field per request, or give each rememberFact its own idempotencyKey argument.';

export const hopByHopKeyMessage = 'The Idempotency-Key header is named in Connection, so it cannot reach the upstream: send it as an ordinary header.';

export const unusableKeyMessage = `The Idempotency-Key header must be 1 to ${maxIdempotencyKeyLength} printable ASCII characters, with no space at either end.`;

export function useIdempotencyKeyScope(): Plugin {
  return {
    // A batch runs each operation on its own, so each would pass the check below with one write
    // and send it with the same key: the whole batch is counted first, before any of it runs.
    onRequestParse({ request }) {
      if (!request.headers.has('idempotency-key')) return;
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult) && requestParserResult.reduce((writes, params) => writes + writesOf(params), 0) > 1) {
            throw createGraphQLError(oneWritePerKeyMessage, { extensions: { code: 'VALIDATION_ERROR', http: { status: 400 } } });
          }
        },
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      const { idempotencyKeySent: sent, idempotencyKey: forwarded } = args.contextValue as { idempotencyKeySent?: string; idempotencyKey?: string };
      if (sent === undefined) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const refuse = (message: string) => setResultAndStopExecution({ errors: [new GraphQLError(message, { nodes: operation, extensions: { code: 'VALIDATION_ERROR' } })] });
      if (!isSaneIdempotencyKey(sent)) return refuse(unusableKeyMessage);
      if (forwarded === undefined) return refuse(hopByHopKeyMessage);
      if (rootFields(operation.selectionSet, args.document, new Set()) > 1) refuse(oneWritePerKeyMessage);
    },
  };
}

/** The mutation root fields one operation of a batch would run; 0 for what does not parse (yoga refuses it on its own). */
function writesOf(params: { query?: unknown; operationName?: unknown }): number {
  if (typeof params.query !== 'string') return 0;
  let document: DocumentNode;
  try {
    document = parse(params.query, { noLocation: true });
  } catch {
    return 0;
  }
  const operation = getOperationAST(document, typeof params.operationName === 'string' ? params.operationName : undefined);
  return operation?.operation === 'mutation' ? rootFields(operation.selectionSet, document, new Set()) : 0;
}

/** The root fields a selection set runs, through fragments (each fragment counted once). */
function rootFields(selectionSet: SelectionSetNode, document: DocumentNode, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') count++;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += rootFields(selection.selectionSet, document, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) count += rootFields(fragment.selectionSet, document, seen);
    }
  }
  return count;
}
