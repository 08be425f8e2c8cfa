// Entry of an engine process: main forks one per long job (Electron: utilityProcess; plain Node:
// child_process.fork), so no job ever blocks a window or main's IPC, and cancelling can always
// fall back to killing the process.
import { MmeaError, toErrorPayload } from '../shared/errors';
import type { FromEngine, JobContext, ToEngine } from './protocol';
import { JOBS } from './jobs';

interface ParentPort {
  on(event: 'message', listener: (e: { data: ToEngine }) => void): void;
  postMessage(msg: FromEngine): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
const send = (msg: FromEngine) => {
  if (parentPort) parentPort.postMessage(msg);
  else process.send?.(msg);
};
const onMessage = (listener: (msg: ToEngine) => void) => {
  if (parentPort) parentPort.on('message', (e) => listener(e.data));
  else process.on('message', (m) => listener(m as ToEngine));
};

const abort = new AbortController();
let started = false;

onMessage((msg) => {
  if (msg.type === 'cancel') {
    abort.abort(new MmeaError('cancelled', 'cancelled'));
    return;
  }
  if (msg.type !== 'start' || started) return;
  started = true;
  let lastSent = 0;
  let lastStage = '';
  const ctx: JobContext = {
    jobId: msg.jobId,
    signal: abort.signal,
    progress(fraction, stage, message, data) {
      // at most ~10 messages a second, but every stage change and the end go through
      const now = Date.now();
      if (stage === lastStage && fraction < 1 && now - lastSent < 100) return;
      lastSent = now;
      lastStage = stage;
      send({ type: 'progress', fraction: Math.min(1, Math.max(0, fraction)), stage, message, ...(data && { data }) });
    },
  };
  const job = JOBS[msg.kind];
  job
    .run(msg.params as never, ctx)
    .then((result) => send({ type: 'done', result }))
    .catch((err: unknown) => {
      if (abort.signal.aborted) send({ type: 'cancelled' });
      else send({ type: 'error', error: toErrorPayload(err) });
    });
  // main ends this process once it has the final message, so nothing sent is lost to an early exit
});

send({ type: 'ready' });
