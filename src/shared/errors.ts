// Errors cross every boundary (IPC, the browser-mode bridge, the engine process) as typed envelopes
// and are rebuilt into real Error objects on the other side.

export const ERROR_CODES = [
  'invalid-args', // arguments failed the contract's schema
  'unknown-channel',
  'forbidden', // sender or token check failed
  'no-project', // the call needs an open project
  'not-found', // an entity, job or file that does not exist
  'bad-input', // a data file is malformed (details name file, line, problem)
  'io', // a file could not be written (disk full, permissions); nothing was recorded
  'conflict', // the request contradicts what stands (a confirm breaking 1-to-1, a second round at once)
  'cancelled',
  'engine', // the engine process failed or died
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorPayload };

export class MmeaError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'MmeaError';
    this.code = code;
    this.details = details;
  }
}

export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof MmeaError) return { code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}

export function fromErrorPayload(p: ErrorPayload): MmeaError {
  const code = (ERROR_CODES as readonly string[]).includes(p.code) ? p.code : 'internal';
  return new MmeaError(code, p.message, p.details);
}

export function unwrap<T>(env: Envelope<T>): T {
  if (env.ok) return env.result;
  throw fromErrorPayload(env.error);
}
