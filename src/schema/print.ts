import { printSchema } from 'graphql';
import { gatewaySchema } from './index.js';

/** The SDL committed as `schema/schema.graphql`, in the order the schema files declare it. */
export function printedSchema(): string {
  return `${printSchema(gatewaySchema())}\n`;
}
