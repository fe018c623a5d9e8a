/**
 * The `knowledge` demo service: Problem Details with extension members (`code`, `retryAfter`) and
 * an RFC 9457 `errors` array for field errors. A missing context answers exactly like a bad key,
 * so context ids cannot be enumerated.
 */
import { problemDialect } from './dialects.js';
import { asObject, bearerChallenge, failure, headerValue, reply, stringMember, type DemoError, type DemoOutcome, type DemoRequest } from './http.js';
import { route } from './router.js';
import type { DemoServiceDefinition } from './serve.js';

/** A fact remembered in a context. */
export interface DemoFact {
  id: string;
  text: string;
}

/** A document of a context, with its processing status. */
export interface DemoDocument {
  id: string;
  status: 'processing' | 'ready' | 'failed';
  error: string | null;
}

/** The search modes the knowledge route accepts. */
export const knowledgeModes = ['semantic', 'keyword', 'hybrid'] as const;

/** The context whose token budget is spent: its knowledge route answers 429. */
export const budgetContextId = 'c-budget';

/** The context whose database is down: its knowledge route answers 503. */
export const downContextId = 'c-down';

/** Seconds a caller of the spent-budget context is told to wait. */
export const budgetRetryAfterSeconds = 30;

interface ContextState {
  id: string;
  name: string;
  documents: Map<string, DemoDocument>;
  facts: DemoFact[];
}

const unauthorized = failure(401, 'unauthorized', 'Missing or invalid API key', bearerChallenge);

function fieldErrors(detail: string, errors: ReadonlyArray<{ detail: string; pointer: string }>): DemoError {
  return failure(400, 'validation_error', detail, { extensions: { errors } });
}

function seedContexts(): Map<string, ContextState> {
  const documents: DemoDocument[] = [
    { id: 'd-1', status: 'ready', error: null },
    { id: 'd-2', status: 'processing', error: null },
    { id: 'd-3', status: 'failed', error: 'Unsupported PDF encoding' },
  ];
  const facts: DemoFact[] = [
    { id: 'f-1', text: 'Ada Lovelace published the first algorithm meant for a machine' },
    { id: 'f-2', text: 'Grace Hopper wrote one of the first compilers' },
    { id: 'f-3', text: 'Alan Turing described a universal computing machine' },
  ];
  const contexts: ContextState[] = [
    { id: 'c-1', name: 'Research', documents: new Map(documents.map((doc) => [doc.id, doc])), facts },
    { id: budgetContextId, name: 'Budget spent', documents: new Map(), facts: [] },
    { id: downContextId, name: 'Database down', documents: new Map(), facts: [] },
  ];
  return new Map(contexts.map((context) => [context.id, context]));
}

/** Creates a fresh `knowledge` service: its own contexts, facts and idempotency keys. */
export function createKnowledgeService(): DemoServiceDefinition {
  const contexts = seedContexts();
  const replays = new Map<string, { fingerprint: string; fact: DemoFact }>();
  let nextFact = 4;

  function createContext(request: DemoRequest): DemoOutcome {
    const id = stringMember(request.body, 'id');
    const name = stringMember(request.body, 'name');
    if (id === undefined || name === undefined) {
      const missing = [id === undefined ? 'id' : undefined, name === undefined ? 'name' : undefined].filter((field) => field !== undefined);
      const errors = missing.map((field) => ({ detail: `${field} is required`, pointer: `#/${field}` }));
      return fieldErrors('The context could not be created', errors);
    }
    if (contexts.has(id)) {
      return failure(409, 'conflict', `Context ${id} already exists`, { extensions: { code: 'already_exists' } });
    }
    contexts.set(id, { id, name, documents: new Map(), facts: [] });
    return reply(201, { id, name });
  }

  function withContext(handler: (context: ContextState, request: DemoRequest) => DemoOutcome): (request: DemoRequest) => DemoOutcome {
    return (request) => {
      const context = contexts.get(request.params.contextId ?? '');
      return context ? handler(context, request) : unauthorized;
    };
  }

  function getDocument(context: ContextState, request: DemoRequest): DemoOutcome {
    const documentId = request.params.documentId ?? '';
    const document = context.documents.get(documentId);
    return document ? reply(200, document) : failure(404, 'not_found', `Document ${documentId} not found`);
  }

  function rememberFact(context: ContextState, request: DemoRequest): DemoOutcome {
    const text = stringMember(request.body, 'text');
    if (text === undefined) return fieldErrors('The fact could not be stored', [{ detail: 'text is required', pointer: '#/text' }]);
    const key = headerValue(request.headers, 'idempotency-key');
    // A replay must repeat the same call: same context and the same body.
    const fingerprint = JSON.stringify([context.id, stableJson(request.body)]);
    const previous = key === undefined ? undefined : replays.get(key);
    if (previous) {
      if (previous.fingerprint === fingerprint) return reply(201, previous.fact, { 'idempotent-replayed': 'true' });
      return failure(409, 'conflict', `Idempotency-Key ${key} was already used with a different request`, {
        extensions: { code: 'idempotency_conflict' },
      });
    }
    const fact = { id: `f-${nextFact++}`, text };
    context.facts.push(fact);
    if (key !== undefined) replays.set(key, { fingerprint, fact });
    return reply(201, fact);
  }

  function searchKnowledge(context: ContextState, request: DemoRequest): DemoOutcome {
    const mode = request.query.get('mode') ?? 'hybrid';
    if (!(knowledgeModes as readonly string[]).includes(mode)) {
      const detail = `mode must be one of ${knowledgeModes.join(', ')}`;
      return fieldErrors(detail, [{ detail, pointer: '#/mode' }]);
    }
    if (context.id === budgetContextId) {
      return failure(429, 'rate_limited', `The token budget of context ${context.id} is spent`, {
        extensions: { code: 'rate_limited', retryAfter: budgetRetryAfterSeconds },
        headers: { 'retry-after': String(budgetRetryAfterSeconds) },
      });
    }
    if (context.id === downContextId) {
      return failure(503, 'service_unavailable', 'database unavailable', { extensions: { code: 'service_unavailable' } });
    }
    const q = (request.query.get('q') ?? '').trim().toLowerCase();
    return reply(200, q === '' ? context.facts : context.facts.filter((fact) => fact.text.toLowerCase().includes(q)));
  }

  return {
    dialect: problemDialect,
    unauthorized,
    readOnly: failure(403, 'forbidden', 'This API key may only read'),
    routes: [
      route('POST', '/api/v1/contexts', createContext),
      route('GET', '/api/v1/contexts/:contextId', withContext((context) => reply(200, { id: context.id, name: context.name }))),
      route('GET', '/api/v1/contexts/:contextId/documents/:documentId', withContext(getDocument)),
      route('POST', '/api/v1/contexts/:contextId/facts', withContext(rememberFact)),
      route('GET', '/api/v1/contexts/:contextId/knowledge', withContext(searchKnowledge)),
    ],
  };
}

// Key order must not make two equal bodies look different.
function stableJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stableJson);
  const object = asObject(value);
  if (!object) return value;
  return Object.fromEntries(Object.keys(object).sort().map((key) => [key, stableJson(object[key])]));
}
