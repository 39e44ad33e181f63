// Structured JSON logs (pino). Log calls pass names, revisions, counts and error messages —
// never objects or file contents — and pino's redaction blanks the usual secret-bearing keys
// in case one ever slips into a log call.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'data', '*.data', 'stringData', '*.stringData',
  'authorization', '*.authorization', 'headers.authorization', 'identity', '*.identity',
];

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: opts.level ?? process.env.LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, base: { app: 'gitops-seal' } },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination(1),
  );
}

export type { Logger };
