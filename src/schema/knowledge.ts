import { z } from 'zod';
import { path } from '../upstream/url.js';
import { builder } from './builder.js';
import { contextShape, decoder, documentShape, factShape, type ContextData } from './decode.js';
import { rateLimited } from './rate-limited.js';
import { callUpstream, idFromAnswer } from './upstream-call.js';

const decodeContext = decoder(contextShape);
const decodeDocument = decoder(documentShape);
const decodeFacts = decoder(z.array(factShape));
const decodeFact = decoder(factShape);

export const KnowledgeMode = builder.enumType('KnowledgeMode', {
  values: { SEMANTIC: { value: 'semantic' }, KEYWORD: { value: 'keyword' }, HYBRID: { value: 'hybrid' } } as const,
});

export const DocumentStatus = builder.enumType('DocumentStatus', {
  values: { PROCESSING: { value: 'processing' }, READY: { value: 'ready' }, FAILED: { value: 'failed' } } as const,
});

/** A document's processing state: a failed document is data, not an error (ERRORS.md §5). */
export const Document = builder.objectRef<z.infer<typeof documentShape>>('Document').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.field({ type: DocumentStatus, resolve: (document) => document.status }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

export const Fact = builder.objectRef<z.infer<typeof factShape>>('Fact').implement({
  fields: (t) => ({ id: t.exposeID('id'), text: t.exposeString('text') }),
});

/** A context in the `knowledge` service. */
export const KnowledgeContext = builder.objectRef<ContextData>('KnowledgeContext').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    document: t.field({
      type: Document,
      nullable: true,
      args: { id: t.arg.id({ required: true }) },
      resolve: (context, args, gateway, info) => {
        const contextId = idFromAnswer(gateway, info, 'knowledge', context.id);
        return callUpstream(gateway, info, 'knowledge', 'GET', () => path`/api/v1/contexts/${contextId}/documents/${String(args.id)}`, { decode: decodeDocument });
      },
    }),
    knowledge: t.field({
      type: [Fact],
      nullable: true,
      args: {
        query: t.arg.string({ required: true }),
        mode: t.arg({ type: KnowledgeMode, defaultValue: 'hybrid' }),
      },
      resolve: rateLimited('knowledge', (context: ContextData, args: { query: string; mode?: string | null }, gateway, info) => {
        const contextId = idFromAnswer(gateway, info, 'knowledge', context.id);
        return callUpstream(gateway, info, 'knowledge', 'GET', () => path`/api/v1/contexts/${contextId}/knowledge`, {
          query: { q: args.query, mode: args.mode ?? 'hybrid' },
          decode: decodeFacts,
        });
      }),
    }),
  }),
});

builder.queryField('context', (t) =>
  t.field({
    type: KnowledgeContext,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, gateway, info) =>
      callUpstream(gateway, info, 'knowledge', 'GET', () => path`/api/v1/contexts/${String(args.id)}`, { decode: decodeContext }),
  }),
);

builder.mutationFields((t) => ({
  createContext: t.field({
    type: KnowledgeContext,
    nullable: true,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, args, gateway, info) =>
      callUpstream(gateway, info, 'knowledge', 'POST', () => path`/api/v1/contexts`, {
        body: { id: String(args.id), name: args.name },
        idempotencyKey: gateway.idempotencyKey,
        decode: decodeContext,
      }),
  }),
  rememberFact: t.field({
    type: Fact,
    nullable: true,
    args: {
      contextId: t.arg.id({ required: true }),
      text: t.arg.string({ required: true }),
      idempotencyKey: t.arg.string({ required: false }),
    },
    resolve: (_root, args, gateway, info) =>
      callUpstream(gateway, info, 'knowledge', 'POST', () => path`/api/v1/contexts/${String(args.contextId)}/facts`, {
        body: { text: args.text },
        idempotencyKey: args.idempotencyKey ?? gateway.idempotencyKey,
        decode: decodeFact,
      }),
  }),
}));
