/**
 * An `Idempotency-Key` header names one write. Forwarded to every write of a document holding
 * several, it made the upstream replay the first write's answer for the others, or refuse them
 * as a clash: writes lost without a word. A mutation with more than one root field that comes
 * with the header is refused before anything runs (`VALIDATION_ERROR`, like an invalid
 * document): one write per request, or `rememberFact`'s own `idempotencyKey` argument.
 */
import { getOperationAST, GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const oneWritePerKeyMessage =
  'An Idempotency-Key header covers one write: send one mutation field per request, or give each rememberFact its own idempotencyKey argument.';

export function useIdempotencyKeyScope(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if ((args.contextValue as { idempotencyKey?: string }).idempotencyKey === undefined) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation' || rootFields(operation.selectionSet, args.document, new Set()) <= 1) return;
      setResultAndStopExecution({ errors: [new GraphQLError(oneWritePerKeyMessage, { nodes: operation, extensions: { code: 'VALIDATION_ERROR' } })] });
    },
  };
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
