/**
 * Hive Gateway (the runtime under the `hive-gateway` command) over an OpenAPI description of the
 * bench upstream: what GraphQL Mesh users deploy. The supergraph is composed at start-up, as
 * `mesh-compose` would write it, from `upstream.openapi.json`; `owner` and `sessions` are Mesh's
 * `@resolveTo` links to the user and sessions operations. Every request's `Authorization` is
 * forwarded. Default settings otherwise, logging off. Env: UPSTREAM_URL.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { getComposedSchemaFromConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const source = JSON.parse(readFileSync(new URL('upstream.openapi.json', import.meta.url), 'utf8'));
const quiet = { log() {}, debug() {}, info() {}, warn: console.warn, error: console.error, child: () => quiet };

const supergraph = await getComposedSchemaFromConfig(
  {
    subgraphs: [
      {
        sourceHandler: loadOpenAPISubgraph('upstream', {
          source,
          endpoint: process.env.UPSTREAM_URL,
          operationHeaders: { authorization: '{context.headers.authorization}' },
        }),
      },
    ],
    additionalTypeDefs: /* GraphQL */ `
      extend type Project {
        owner: User
          @resolveTo(sourceName: "upstream", sourceTypeName: "Query", sourceFieldName: "user", requiredSelectionSet: "{ ownerId }", sourceArgs: { id: "{root.ownerId}" })
        sessions: [Session!]
          @resolveTo(sourceName: "upstream", sourceTypeName: "Query", sourceFieldName: "projectSessions", requiredSelectionSet: "{ id }", sourceArgs: { id: "{root.id}" })
      }
    `,
  },
  quiet,
);

const server = createServer(createGatewayRuntime({ supergraph, logging: false }));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
