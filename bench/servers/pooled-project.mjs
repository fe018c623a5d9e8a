/**
 * The one upstream call of the latency probe's floors (`yoga-floor`, `graphql-floor`): a project
 * by id, over a kept-alive undici pool to UPSTREAM_URL, with the caller's `authorization`.
 */
import { Pool } from 'undici';

const pool = new Pool(process.env.UPSTREAM_URL, { connections: 64 });

export async function fetchProject(id, authorization) {
  const answer = await pool.request({ method: 'GET', path: `/api/v1/projects/${encodeURIComponent(id)}`, headers: { authorization, accept: 'application/json' } });
  return answer.body.json();
}
