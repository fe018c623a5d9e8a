/**
 * Apollo Client 4 over real HTTP against the gateway and its demo services: with
 * `errorPolicy: 'all'` the caller gets the partial data, and every error maps to its class.
 */
import { gql } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  QuotaError,
  RateLimitError,
  ScopeError,
  ServerError,
  ValidationError,
  toConfluxError,
  toConfluxErrors,
} from '../../src/client/index.js';
import { createTestApolloClient } from '../support/apollo.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop(0));

describe('Apollo Client with errorPolicy all', () => {
  it('gets the partial data of a list and one typed error per failed item', async () => {
    const client = createTestApolloClient(gateway.url);
    const result = await client.query({
      query: gql`query Projects { projects { id name owner { name } workspace { name } } }`,
      errorPolicy: 'all',
    });
    const projects = (result.data as { projects: Array<Record<string, unknown>> }).projects;
    expect(projects.map((project) => project['id'])).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
    expect(projects[2]).toMatchObject({ name: 'Cygnus', owner: null, workspace: { name: 'Core' } });
    expect(projects[3]).toMatchObject({ name: 'Draco', owner: { name: 'Ada Lovelace' }, workspace: null });
    expect(CombinedGraphQLErrors.is(result.error)).toBe(true);

    const errors = toConfluxErrors(result.error);
    expect(errors).toHaveLength(2);
    const [notFound, forbidden] = errors;
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', status: 404, path: ['projects', 2, 'owner'] });
    expect(notFound!.upstream).toMatchObject({ service: 'directory', status: 404, code: 'not_found' });
    expect(notFound!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(forbidden).toBeInstanceOf(ScopeError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', path: ['projects', 3, 'workspace'], requestId: notFound!.requestId });
  });

  it('maps the codes of several services in one response to their classes', async () => {
    const client = createTestApolloClient(gateway.url);
    const result = await client.query({
      query: gql`query Mixed {
        project(id: "p-5") { name sessions { title } }
        budget: context(id: "c-budget") { name knowledge(query: "a") { text } }
        unknown: context(id: "c-nope") { name }
      }`,
      errorPolicy: 'all',
    });
    expect(result.data).toMatchObject({ project: { name: 'Eridanus', sessions: null }, budget: { name: 'Budget spent', knowledge: null }, unknown: null });
    const byPath = new Map(toConfluxErrors(result.error).map((error) => [error.path.join('.'), error]));
    expect(byPath.get('project.sessions')).toBeInstanceOf(ServerError);
    expect(byPath.get('project.sessions')).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'The projects service failed' });
    expect(byPath.get('budget.knowledge')).toBeInstanceOf(RateLimitError);
    expect(byPath.get('budget.knowledge')!.retryAfter).toBe(30);
    expect(byPath.get('unknown')).toBeInstanceOf(AuthError);
    expect(byPath.size).toBe(3);
  });

  it('maps failed mutations to conflict, quota and validation errors while the others succeed', async () => {
    const client = createTestApolloClient(gateway.url);
    const result = await client.mutate({
      mutation: gql`mutation Several {
        busy: startSynthesis(workspaceId: "w-busy") { id }
        quota: startSynthesis(workspaceId: "w-quota") { id }
        transition: transitionInsight(workspaceId: "w-1", insightId: "i-1", status: IMPLEMENTED) { id }
        good: startSynthesis(workspaceId: "w-1") { id status }
      }`,
      errorPolicy: 'all',
    });
    expect(result.data).toMatchObject({ busy: null, quota: null, transition: null, good: { status: 'running' } });
    const byPath = new Map(toConfluxErrors(result.error).map((error) => [error.path.join('.'), error]));
    expect(byPath.get('busy')).toBeInstanceOf(ConflictError);
    expect(byPath.get('quota')).toBeInstanceOf(QuotaError);
    expect(byPath.get('quota')!.details).toMatchObject({ limit: 3, plan: 'trial' });
    expect(byPath.get('transition')).toBeInstanceOf(ValidationError);
    expect(byPath.get('transition')!.details).toHaveProperty('validTransitions');
  });

  it('throws a request-level error as its class with the default errorPolicy', async () => {
    const client = createTestApolloClient(gateway.url, { authorization: null });
    const failure = await client.query({ query: gql`query Anonymous { projects { id } }` }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const mapped = toConfluxError(failure);
    expect(mapped).toBeInstanceOf(AuthError);
    expect(mapped).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, path: [] });
    expect(mapped.requestId).toBeTruthy();
  });

  it('maps an invalid document to a ValidationError', async () => {
    const client = createTestApolloClient(gateway.url);
    const result = await client.query({ query: gql`query Bad { projects { nope } }`, errorPolicy: 'all' });
    expect(result.data).toBeUndefined();
    const mapped = toConfluxError(result.error);
    expect(mapped).toBeInstanceOf(ValidationError);
    expect(mapped.code).toBe('VALIDATION_ERROR');
  });
});
