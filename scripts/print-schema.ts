/** Prints the schema built by the Pothos builder to schema/schema.graphql (`npm run schema:print`). */
import { writeFileSync } from 'node:fs';
import { printedSchema } from '../src/schema/print.js';

const target = new URL('../schema/schema.graphql', import.meta.url);
writeFileSync(target, printedSchema());
process.stdout.write(`wrote ${target.pathname}\n`);
