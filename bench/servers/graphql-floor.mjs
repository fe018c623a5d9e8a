/**
 * For the latency probe: graphql-js's own `execute` behind a plain Node HTTP server, over the
 * scenarios' schema subset, whose one resolver answers `single` with one GET over a kept-alive
 * undici pool. Each query is parsed and validated once. No framework, no checks, no logging:
 * what GraphQL execution adds to the bare proxy's hop, apart from any server framework's
 * request handling. Env: UPSTREAM_URL.
 */
import { createServer } from 'node:http';
import { buildSchema, execute, parse, validate } from 'graphql';
import { fetchProject } from './pooled-project.mjs';
import { listen, typeDefs } from './schema-subset.mjs';

const schema = buildSchema(typeDefs);
const rootValue = {
  project: ({ id }, context) => fetchProject(id, context.authorization),
};
/** Parsed and validated documents by query text; the probe sends one query. */
const documents = new Map();

function documentFor(query) {
  let document = documents.get(query);
  if (document === undefined) {
    document = parse(query);
    const errors = validate(schema, document);
    if (errors.length > 0) throw errors[0];
    documents.set(query, document);
  }
  return document;
}

function send(response, status, result) {
  const body = JSON.stringify(result);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function answer(request, response) {
  let text = '';
  for await (const chunk of request) text += chunk;
  let document;
  let variableValues;
  try {
    const params = JSON.parse(text);
    variableValues = params.variables;
    document = documentFor(params.query);
  } catch (error) {
    return send(response, 400, { errors: [{ message: String(error?.message ?? error) }] });
  }
  const contextValue = { authorization: request.headers.authorization ?? '' };
  send(response, 200, await execute({ schema, document, rootValue, contextValue, variableValues }));
}

listen(
  createServer((request, response) => {
    // A request that breaks off, or anything else thrown, ends that request, not the server.
    answer(request, response).catch((error) => {
      if (!response.headersSent) send(response, 500, { errors: [{ message: String(error?.message ?? error) }] });
      else response.destroy();
    });
  }),
);
