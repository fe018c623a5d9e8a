/**
 * The logger every part of Conflux writes to: structured, one JSON object a line. Only the
 * shape is fixed here; `main.ts` passes a pino logger, tests may pass a recording one.
 */
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
