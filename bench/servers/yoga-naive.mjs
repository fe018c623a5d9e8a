/**
 * The naive baseline: graphql-yoga with default settings and resolvers that call `fetch`
 * directly, one call per field, no dedupe. What a team writes on its first day.
 * Env: UPSTREAM_URL (projects and directory base URL).
 */
import { GraphQLError } from 'graphql';
import { serveYoga } from './serve-yoga.mjs';

const base = process.env.UPSTREAM_URL;

async function get(context, path) {
  const response = await fetch(`${base}${path}`, { headers: { authorization: context.authorization, accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) {
    throw new GraphQLError(body.detail ?? body.error?.message ?? 'Upstream failed', {
      extensions: { code: response.status === 404 ? 'NOT_FOUND' : 'UPSTREAM_ERROR' },
    });
  }
  return body;
}

const resolvers = {
  Query: {
    project: (_root, { id }, context) => get(context, `/api/v1/projects/${encodeURIComponent(id)}`),
    projects: (_root, _args, context) => get(context, '/api/v1/projects'),
  },
  Project: {
    owner: (project, _args, context) => get(context, `/api/v1/users/${encodeURIComponent(project.ownerId)}`),
    sessions: (project, _args, context) => get(context, `/api/v1/projects/${encodeURIComponent(project.id)}/sessions`),
  },
};

serveYoga(resolvers);
