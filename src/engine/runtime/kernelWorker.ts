// A kernel worker thread (pool.ts): runs each task it is sent (a row range of a GAT kernel, or one
// batch's loss heads), then flags the task's job done (1) or failed (2, with the error's text on the
// error port) and wakes the waiting thread. Tasks run one after another in the order sent.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { gatBackwardRows, gatForwardRows } from '../nn/kernels';
import { rreaBackwardRows, rreaForwardRows } from '../nn/rrea';
import { nativeDense, type NativeDense } from './native';

// Every task brings fresh SharedArrayBuffers (its inputs and outputs), which this thread's handles
// keep alive until its garbage collector runs; with native kernels a worker allocates almost nothing
// of its own, so that never happens by itself (seen: +400 MB of RSS per FB15K-DB15K training step).
// After each 256 MB received, collect (the way Jest exposes gc: the flag, then gc from a new context).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const COLLECT_BYTES = 256 * 2 ** 20;
let received = 0;

/** Bytes of the distinct shared buffers in a message. */
function sharedBytes(v: unknown, seen = new Set<ArrayBufferLike>()): number {
  if (ArrayBuffer.isView(v)) {
    if (seen.has(v.buffer)) return 0;
    seen.add(v.buffer);
    return v.buffer.byteLength;
  }
  if (v && typeof v === 'object') return Object.values(v).reduce((s: number, x) => s + sharedBytes(x, seen), 0);
  return 0;
}

const { errors } = workerData as { errors: MessagePort };
type Task = (args: never, i0: number, i1: number) => void | Promise<void>;
const TASKS: Record<string, Task> = {
  gatForwardRows,
  gatBackwardRows,
  rreaForwardRows,
  rreaBackwardRows,
  similarityRows: (args, i0, i1) => dense('similarityRows').similarityRows(args, i0, i1),
  spmmRows: (args, i0, i1) => dense('spmmRows').spmmRows(args, i0, i1),
  lmfForwardRows: (args, i0, i1) => dense('lmfForwardRows').lmfForwardRows(args, i0, i1),
  tanhRows: (args, i0, i1) => dense('tanhRows').tanhRows(args, i0, i1),
  lmfBackwardRows: (args, i0, i1) => dense('lmfBackwardRows').lmfBackwardRows(args, i0, i1),
  // model code the runtime runs on its threads, one line per model task. tfjs is loaded by the
  // first batch only: a worker that only runs the GAT kernels never needs it
  batchHeads: async (args) => (await import('../models/heads/task')).batchHeadsTask(args),
};

function dense(task: string): NativeDense {
  const d = nativeDense();
  if (!d) throw new Error(`${task}: the native dense kernels are not loaded in this worker`);
  return d;
}

let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (m: { task: string; args: never; i0: number; i1: number; flag: Int32Array }) => {
  received += sharedBytes(m.args);
  queue = queue.then(async () => {
    try {
      const run = TASKS[m.task];
      if (!run) throw new Error(`unknown kernel task ${m.task}`);
      await run(m.args, m.i0, m.i1);
      Atomics.store(m.flag, 0, 1);
    } catch (e) {
      errors.postMessage((e as Error).stack ?? String(e));
      Atomics.store(m.flag, 0, 2);
    }
    Atomics.notify(m.flag, 0);
    if (received > COLLECT_BYTES) {
      received = 0;
      collect(); // after the notify: the waiting thread goes on meanwhile
    }
  });
});
