/**
 * Which request bodies the GraphQL endpoint reads: JSON (and `application/graphql`), and form
 * bodies (`multipart/form-data`, `application/x-www-form-urlencoded`) only when configured: a
 * browser sends those cross-site without a preflight, and the schema takes no uploads. yoga
 * parses urlencoded bodies whatever its `multipart` option says, and answers other types with
 * an empty 415; here every refusal is a 415 with a `VALIDATION_ERROR` in the body.
 */
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface ContentTypePolicyOptions {
  /** Read form bodies too. @default false */
  allowFormBodies?: boolean;
}

const jsonTypes = ['application/json', 'application/graphql'];
const formTypes = ['multipart/form-data', 'application/x-www-form-urlencoded'];

/** The media type of a `Content-Type` value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function useContentTypePolicy(options: ContentTypePolicyOptions = {}): Plugin {
  const accepted = new Set([...jsonTypes, ...(options.allowFormBodies ? formTypes : [])]);
  return {
    onRequestParse({ request }) {
      if (request.method !== 'POST') return;
      const type = mediaTypeOf(request.headers.get('content-type'));
      if (accepted.has(type)) return;
      throw createGraphQLError(`Content-Type ${type === '' ? '(none)' : JSON.stringify(type.slice(0, 100))} is not accepted: send application/json.`, {
        extensions: { code: 'VALIDATION_ERROR', http: { status: 415 } },
      });
    },
  };
}
