/**
 * The floor of the latency probe: a plain Node HTTP server that answers `single` by forwarding
 * one GET to the upstream over a kept-alive undici pool and wrapping the body as GraphQL data. No
 * GraphQL, no checks, no logging: what the extra hop alone costs any Node gateway on this machine.
 * Env: UPSTREAM_URL.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { listen } from './schema-subset.mjs';

const pool = new Pool(process.env.UPSTREAM_URL, { connections: 64 });

listen(
  createServer(async (request, response) => {
    for await (const _chunk of request);
    const answer = await pool.request({ method: 'GET', path: '/api/v1/projects/p-1', headers: { authorization: request.headers.authorization ?? '' } });
    const project = await answer.body.json();
    const body = JSON.stringify({ data: { project: { id: project.id, name: project.name } } });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  }),
);
