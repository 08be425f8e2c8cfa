// Threads for the hand-written kernels (kernels.ts): the GAT layer's rows are split between this
// thread and worker threads over SharedArrayBuffers, and Trainer.step sends them whole batches' loss
// heads (models/heads/task.ts). The call stays synchronous — the kernels run
// inside tf.customGrad, which cannot await — by blocking on Atomics.wait until each worker has
// flagged its part done. Our own code rather than a pool library (piscina, workerpool): those are
// asynchronous only. Thread count: setKernelThreads (the CLI's --threads, MMEA_THREADS), default the
// machine's cores; 1 runs everything on the calling thread, exactly as before this pool existed.
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { appFile } from '../modules';
import type { AggGraph } from './layouts';

interface PoolWorker {
  worker: Worker;
  /** the text of a failed job's error */
  errors: MessagePort;
}

/** A task sent to a worker; its flag's [0] is 0 while it runs, then 1 done or 2 failed. */
export interface Job {
  worker: PoolWorker;
  flag: Int32Array;
  task: string;
}

const MAX_DEFAULT = 8;
let wanted = defaultThreads();
let workers: PoolWorker[] | null = null;
let unavailable: string | null = null;

function defaultThreads(): number {
  const env = Number(process.env.MMEA_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.min(availableParallelism(), MAX_DEFAULT);
}

/** Threads the kernels use from now on (1 = no workers). Workers beyond it are stopped. */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`threads must be a positive integer, got ${n}`);
  wanted = n;
  if (workers && workers.length > n - 1) {
    for (const w of workers.splice(n - 1)) void w.worker.terminate();
  }
}

/** Threads the kernels really use (1 when workers cannot be started here; see kernelPoolProblem). */
export function kernelThreads(): number {
  return isMainThread && unavailable === null ? wanted : 1;
}

/** Why workers could not be started (null when they could, or were never needed). */
export function kernelPoolProblem(): string | null {
  return unavailable;
}

/** The built worker script (also when running from sources, as tests do); MMEA_KERNEL_WORKER overrides. */
function workerScript(): string | null {
  return process.env.MMEA_KERNEL_WORKER ?? appFile('out/main/kernelWorker.js');
}

function pool(): PoolWorker[] {
  const need = kernelThreads() - 1;
  if (need <= 0) return [];
  workers ??= [];
  while (workers.length < need) {
    const script = workerScript();
    if (!script) {
      unavailable = 'the kernel worker script (out/main/kernelWorker.js) was not found; build first';
      return [];
    }
    try {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(script, { workerData: { errors: port2 }, transferList: [port2] });
      worker.unref();
      port1.unref();
      workers.push({ worker, errors: port1 });
    } catch (e) {
      unavailable = `kernel workers cannot start: ${(e as Error).message}`;
      return [];
    }
  }
  return workers;
}

const copies = new WeakMap<object, unknown>();

type Typed = Float32Array | Float64Array | Int32Array;

/** A typed array in shared memory (a copy unless it already is). Copies of index arrays (Int32Array:
 *  graph structure, which is never changed in place) are remembered per array; float data is copied
 *  every time, as a caller may refill an array between calls. */
function toShared<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const known = copies.get(a) as T | undefined;
  if (known) return known;
  const ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const s = new ctor(new SharedArrayBuffer(a.length * ctor.BYTES_PER_ELEMENT));
  (s as unknown as { set(x: T): void }).set(a);
  if (a instanceof Int32Array) copies.set(a, s);
  return s;
}

/** `v` with every typed array replaced by a shared one (objects and arrays walked). */
function shareDeep(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return toShared(v as Typed);
  if (Array.isArray(v)) return v.map(shareDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shareDeep(x)]));
  return v;
}

/** A zeroed Float32Array, in shared memory when kernels run on several threads. */
export function sharedF32(n: number): Float32Array {
  return kernelThreads() > 1 ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
}

/** `x` in memory the kernel threads can read: itself when it already is (or one thread runs), else a
 *  copy. A kernel's input used by several calls (a layer's forward and backward) is made shareable
 *  once, instead of being copied again at each call. */
export function shareable(x: Float32Array): Float32Array {
  if (kernelThreads() === 1 || x.buffer instanceof SharedArrayBuffer) return x;
  const out = sharedF32(x.length);
  out.set(x);
  return out;
}

/** to += from, elementwise: how a worker's partial sums are merged into this thread's (parallelRows). */
export function addInto(to: Float32Array | Float64Array, from: Float32Array | Float64Array): void {
  for (let i = 0; i < to.length; i++) to[i]! += from[i]!;
}

export function sharedF64(n: number): Float64Array {
  return kernelThreads() > 1 ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n);
}

/** Splits the output rows of `g` into `parts` ranges with about the same number of edges each. */
export function rowRanges(g: AggGraph, parts: number): [number, number][] {
  const P = g.outputs;
  const E = g.indptr[P]!;
  const out: [number, number][] = [];
  let start = 0;
  for (let t = 1; t <= parts; t++) {
    let end = P;
    if (t < parts) {
      const target = (E * t) / parts;
      let lo = start;
      let hi = P;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (g.indptr[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      end = lo;
    }
    out.push([start, end]);
    start = end;
  }
  return out;
}

const MIN_EDGES_PER_THREAD = 20_000;

/**
 * Runs `task` (a function the worker script knows by this name) over the output rows of `g`: the
 * first range on this thread (`local`), the others on workers with `args` in shared memory. With
 * `partial`, each worker sums into a fresh set of sums (shared arrays) instead of `args.acc`, and
 * `merge` adds them to this thread's in worker order once all are done.
 */
export function parallelRows<S>(g: AggGraph, task: string, args: object, local: (i0: number, i1: number) => void, partial?: () => S, merge?: (sums: S) => void): void {
  const edges = g.indptr[g.outputs]!;
  const threads = Math.min(kernelThreads(), Math.max(1, Math.floor(edges / MIN_EDGES_PER_THREAD)));
  inRanges(threads > 1 ? rowRanges(g, Math.min(threads, pool().length + 1)) : [[0, g.outputs]], task, args, local, partial, merge);
}

/** Runs `task` over rows 0..n in equal ranges, one per thread (the first here, `local`), at least
 *  `minRows` rows each; `args` in shared memory, and `partial` / `merge` as for parallelRows. */
export function splitRows<S>(n: number, minRows: number, task: string, args: object, local: (i0: number, i1: number) => void, partial?: () => S, merge?: (sums: S) => void): void {
  const parts = Math.max(1, Math.min(kernelThreads(), pool().length + 1, Math.floor(n / Math.max(1, minRows))));
  const ranges: [number, number][] = [];
  for (let t = 0; t < parts; t++) ranges.push([Math.floor((n * t) / parts), Math.floor((n * (t + 1)) / parts)]);
  inRanges(ranges, task, args, local, partial, merge);
}

function inRanges<S>(ranges: [number, number][], task: string, args: object, local: (i0: number, i1: number) => void, partial?: () => S, merge?: (sums: S) => void): void {
  const ws = pool().slice(0, ranges.length - 1);
  if (ws.length === 0) {
    local(ranges[0]![0], ranges.at(-1)![1]);
    return;
  }
  const shared = shareDeep(args) as Record<string, unknown>;
  const sums: S[] = [];
  const jobs = ws.map((w, k) => {
    const acc = partial?.();
    if (acc !== undefined) sums.push(acc);
    const [i0, i1] = ranges[k + 1]!;
    return post(w, task, { args: acc === undefined ? shared : { ...shared, acc }, i0, i1 });
  });
  let failure: Error | null = null;
  try {
    local(...ranges[0]!);
  } catch (e) {
    failure = e as Error;
  }
  finish(jobs, failure);
  if (merge) for (const s of sums) merge(s);
}

function post(w: PoolWorker, task: string, payload: object): Job {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  w.worker.postMessage({ ...payload, task, flag });
  return { worker: w, flag, task };
}

/** Waits for every job; throws `failure` (this thread's own) or the first job's error. */
export function finish(jobs: Job[], failure: Error | null = null): void {
  for (const j of jobs) {
    // a worker that dies without flagging would block us forever: give up after 10 minutes
    if (Atomics.wait(j.flag, 0, 0, 600_000) === 'timed-out') failure ??= new Error(`kernel worker: no answer to ${j.task} in 10 minutes`);
    else if (Atomics.load(j.flag, 0) === 2) failure ??= new Error(`kernel worker: ${String(receiveMessageOnPort(j.worker.errors)?.message ?? 'failed')}`);
  }
  if (failure) throw failure;
}

/** Workers in the pool (threads − 1, or 0 when they cannot start); Trainer.step sends them batches. */
export function workerCount(): number {
  return pool().length;
}

/** Sends `task` with `args` (typed arrays moved to shared memory) to worker `k`; see finish. */
export function postTask(k: number, task: string, args: object): Job {
  return post(pool()[k]!, task, { args: shareDeep(args) });
}
