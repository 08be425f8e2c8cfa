// A kernel worker thread (pool.ts): runs the row range of a kernel it is sent, then flags it done
// (1) or failed (2, with the error's text on the error port) and wakes the waiting thread.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { gatBackwardRows, gatForwardRows } from './kernels';

const { flag, errors } = workerData as { flag: Int32Array; errors: MessagePort };
const TASKS: Record<string, (args: never, i0: number, i1: number) => void> = { gatForwardRows, gatBackwardRows };

parentPort!.on('message', (m: { task: string; args: never; i0: number; i1: number }) => {
  try {
    const run = TASKS[m.task];
    if (!run) throw new Error(`unknown kernel task ${m.task}`);
    run(m.args, m.i0, m.i1);
    Atomics.store(flag, 0, 1);
  } catch (e) {
    errors.postMessage((e as Error).stack ?? String(e));
    Atomics.store(flag, 0, 2);
  }
  Atomics.notify(flag, 0);
});
