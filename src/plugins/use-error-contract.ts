/**
 * Puts every error of every response on the contract (ERRORS.md §4). Execution errors are
 * mapped in `onExecuteDone`, where the request id is known, so withheld detail is logged with
 * it (this plugin runs before yoga's masking, which then finds nothing left to mask).
 * `onResultProcess`, the last stop before serialisation, covers request-level errors (parse,
 * validation, bad HTTP requests) the same way. `useErrorsWrittenAsJson`, last in the plugin list,
 * then hands the errors of a result with data to the serialiser as the JSON they stand for.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { isErrorCode } from '../errors/codes.js';
import { toGraphQLError, type ContractErrorOptions } from '../errors/to-graphql-error.js';
import { requestIdFor } from './use-request-id.js';

/** The `maskError` yoga calls for errors raised while executing. */
export function contractMaskError(options: ContractErrorOptions): (error: unknown) => Error {
  return (error) => toGraphQLError(error, options);
}

export function useErrorContract(options: ContractErrorOptions): Plugin {
  const withRequestId = (error: GraphQLError | Error, requestId: string, requestLevel = false): GraphQLError => {
    // A document, variables or operation error (it has a location) of a request that never
    // produced data: 400 under graphql-response+json, 200 under application/json (ERRORS.md §5).
    const documentError = requestLevel && error instanceof GraphQLError && (error.locations?.length ?? 0) > 0;
    if (!documentError && error instanceof GraphQLError && isErrorCode(error.extensions['code']) && error.extensions['requestId'] === requestId) return error;
    const mapped = toGraphQLError(error, { ...options, requestId });
    if (!documentError && mapped.extensions['requestId'] === requestId) return mapped;
    const http = documentError ? { ...(mapped.extensions['http'] as object | undefined), status: 400, spec: true } : mapped.extensions['http'];
    return new GraphQLError(mapped.message, {
      nodes: mapped.nodes,
      source: mapped.source,
      positions: mapped.positions,
      path: mapped.path,
      extensions: { ...mapped.extensions, requestId, ...(http === undefined ? {} : { http }) },
    });
  };
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (!('errors' in result) || !result.errors?.length) return;
          const requestId = (args.contextValue as { requestId?: string }).requestId;
          if (requestId === undefined) return;
          const errors = result.errors.map((e) => withRequestId(e, requestId));
          if (changed(result.errors, errors)) setResult({ ...result, errors });
        },
      };
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result)) {
        if (!result.some((item) => item.errors?.length)) return;
        const requestId = requestIdFor(request);
        setResult(result.map((item) => (item.errors?.length ? { ...item, errors: item.errors.map((e) => withRequestId(e, requestId, item.data === undefined)) } : item)));
        return;
      }
      if (!('errors' in result) || !result.errors?.length) return;
      const requestId = requestIdFor(request);
      const requestLevel = result.data === undefined;
      const errors = result.errors.map((e) => withRequestId(e, requestId, requestLevel));
      if (changed(result.errors, errors)) setResult({ ...result, errors });
    },
  };
}

/** Whether mapping replaced any error: upstream failures arrive already on the contract, and a result left as it is costs no copy. */
function changed(before: readonly unknown[], after: readonly unknown[]): boolean {
  return after.some((error, index) => error !== before[index]);
}

/**
 * The errors of a result with data, handed to graphql-yoga's serialiser as the JSON they stand
 * for. Yoga rebuilds every `GraphQLError` it serialises, to strip internal extensions that
 * contract errors never carry, and each rebuild captures a stack trace: the largest single cost
 * left on the error path (bench/README.md). It writes anything else as it is, and answers a
 * result with data 200 either way. Goes last in the plugin list, so that every other plugin
 * (an embedder's too) still sees `GraphQLError`s.
 */
export function useErrorsWrittenAsJson(): Plugin {
  const written = (item: ExecutionResult): ExecutionResult => (item.data === undefined || !item.errors?.length ? item : { ...item, errors: item.errors.map(asWritten) });
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(written));
      else if (!isAsyncIterable(result)) setResult(written(result));
    },
  };
}

/** An error as the JSON it serialises to; one that carries `http` (a status or headers for yoga to apply) is left alone. */
function asWritten(error: GraphQLError): GraphQLError {
  if (error.extensions['http'] !== undefined) return error;
  return error.toJSON() as GraphQLError;
}
