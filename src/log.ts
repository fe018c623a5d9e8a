/**
 * The logger every part of Conflux writes to: structured, one JSON object a line. Only the
 * shape is fixed here; `main.ts` passes a pino logger, tests may pass a recording one.
 */
import { scrubSecrets } from './redaction.js';

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything (the default for embedders that pass none). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const levels = ['debug', 'info', 'warn', 'error'] as const;

/**
 * A logger writing one JSON object a line through `console.log`, for runtimes without pino
 * (the edge entry): `{ level, time, msg, ...fields }`, dropping entries below `minLevel`, with
 * credentials scrubbed as the Node logger scrubs them.
 */
export function createConsoleLogger(minLevel: (typeof levels)[number] | 'silent' = 'info'): Logger {
  const threshold = minLevel === 'silent' ? levels.length : levels.indexOf(minLevel);
  const write = (level: (typeof levels)[number]) => (fields: object, message: string) => {
    if (levels.indexOf(level) < threshold) return;
    console.log(JSON.stringify(scrubSecrets({ level, time: new Date().toISOString(), msg: message, ...fields })));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
