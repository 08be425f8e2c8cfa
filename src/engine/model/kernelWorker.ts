// A kernel worker thread (pool.ts): runs each task it is sent (a row range of a GAT kernel, or one
// batch's loss heads), then flags the task's job done (1) or failed (2, with the error's text on the
// error port) and wakes the waiting thread. Tasks run one after another in the order sent.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { gatBackwardRows, gatForwardRows } from './kernels';

const { errors } = workerData as { errors: MessagePort };
type Task = (args: never, i0: number, i1: number) => void | Promise<void>;
const TASKS: Record<string, Task> = {
  gatForwardRows,
  gatBackwardRows,
  // tfjs is loaded by the first batch only: a worker that only runs the GAT kernels never needs it
  batchHeads: async (args) => (await import('./headsTask')).batchHeadsTask(args),
};

let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (m: { task: string; args: never; i0: number; i1: number; flag: Int32Array }) => {
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
  });
});
