// Messages between main's job manager and an engine process (one process per job, so killing it
// is always a real stop). Structured-clone safe.
import type { ErrorPayload } from '../shared/errors';
import type { JobKind } from '../shared/types';

export type ToEngine = { type: 'start'; jobId: string; kind: JobKind; params: unknown } | { type: 'cancel' };

export type FromEngine =
  | { type: 'ready' }
  | { type: 'progress'; fraction: number; stage: string; message?: string; data?: Record<string, number> }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: ErrorPayload }
  | { type: 'cancelled' };

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  progress(fraction: number, stage: string, message?: string, data?: Record<string, number>): void;
}
