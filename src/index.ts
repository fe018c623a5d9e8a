/**
 * The package's main entry (`import … from 'conflux'`), for embedding the gateway: start it as
 * the CLI does, or build the fetch handler yourself and serve it your own way. Client code
 * imports `conflux/client` instead; the edge entry is `src/edge.ts`.
 */
export { startGateway, type RunningGateway, type StartOptions } from './main.js';
export { createGateway, type Gateway, type GatewayOptions } from './server.js';
export { ConfigError, parseConfig, serviceNames, type Config, type ServiceName } from './config.js';
export { createLogger, type CreateLoggerOptions } from './create-logger.js';
export { createUndiciTransport, type UndiciTransportOptions } from './upstream/undici-transport.js';
export { createFetchTransport, type FetchTransportOptions } from './upstream/fetch-transport.js';
export type { Transport, TransportRequest, TransportResponse } from './upstream/transport.js';
export { errorCodes, type ErrorCode } from './errors/codes.js';
