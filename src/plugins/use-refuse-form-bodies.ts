/**
 * Refuses `multipart/form-data` and `application/x-www-form-urlencoded` GraphQL requests with
 * 415: a browser sends them cross-site without a preflight, and the schema takes no uploads.
 * yoga parses form bodies whatever its `multipart` option says, hence this plugin.
 */
import { createGraphQLError, type Plugin } from 'graphql-yoga';

const formContentTypes = ['multipart/form-data', 'application/x-www-form-urlencoded'];

/** Whether a `Content-Type` value names a form body. */
export function isFormContentType(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return formContentTypes.includes(type);
}

export function useRefuseFormBodies(): Plugin {
  return {
    onRequestParse({ request }) {
      if (!isFormContentType(request.headers.get('content-type'))) return;
      throw createGraphQLError('Form bodies are not accepted: send application/json.', {
        extensions: { code: 'VALIDATION_ERROR', http: { status: 415 } },
      });
    },
  };
}
