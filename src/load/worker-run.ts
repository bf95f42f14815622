/**
 * An HTTP load run in its own worker thread (`thread: 'worker'`, and `auto` for the open model). The generator
 * then has an event loop to itself: whatever else the process does — an experiment's monitors and fault
 * executor, a test's server, report building — cannot make it send or notice responses late, which it would
 * report as the system's latency; nor can a busy generator delay them.
 *
 * The caller keeps the same {@link LoadRun}: `progress()` and `series()` stay synchronous. They post a request
 * to the worker and wait on a shared counter (`Atomics.wait`) for the reply, taken with `receiveMessageOnPort` —
 * a few milliseconds at most, as long as the worker's loop runs. If it does not answer within
 * {@link SYNC_WAIT_MS} (it is blocked: exactly the lag this exists to avoid), the last answer is returned rather
 * than blocking the caller further; so is an empty one while the worker is still starting (loading its modules
 * takes a moment, and the run's clock starts once it has).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { LoadOptions, LoadResult, LoadRun } from './load-types.js';
import type { LoadProgress } from './recorder.js';
import { LOAD_SERIES_FORMAT, type LoadSeries } from './samples.js';

/** How long `progress()` / `series()` wait for a worker that does not answer. */
const SYNC_WAIT_MS = 2000;

/** What the worker is started with (plain data: functions cannot cross threads). */
export interface WorkerInput {
  options: Omit<LoadOptions, 'clock' | 'ok' | 'onProgress' | 'signal' | 'thread'>;
  /** Whether to post progress reports (the caller gave `onProgress`). */
  progress: boolean;
  /** The synchronous-call channel and the counter the worker bumps after each reply. */
  port: MessagePort;
  flag: Int32Array;
}

/** Messages from the worker on its parent port. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'done'; result: LoadResult }
  | { type: 'error'; message: string; stack?: string };

/** A synchronous call and its reply on the call channel. */
export interface SyncCall {
  id: number;
  kind: 'progress' | 'series';
}
export interface SyncReply {
  id: number;
  value: LoadProgress | LoadSeries;
}

// The worker's module sits next to this one, with this one's extension: `.js` when built, `.ts` when run from
// source under tsx. Named from the parent directory so that it resolves the same from the bundled CLI
// (dist/cli/bin.js, one level below the package's dist/ as this module is).
const EXT = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`../load/load-worker${EXT}`, import.meta.url);

/**
 * The worker to start. From source, tsx's loader hooks are not there in a new thread (`--import tsx` does not
 * carry them over on Node 20), so a one-line bootstrap registers them first and then imports the module.
 */
function spawnWorker(input: WorkerInput, transfer: MessagePort): Worker {
  if (EXT !== '.ts') return new Worker(WORKER_URL, { workerData: input, transferList: [transfer] });
  const api = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(api)}).then((t) => { t.register(); ` +
    `return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { eval: true, workerData: input, transferList: [transfer] });
}

const emptyProgress = (): LoadProgress => ({
  elapsedMs: 0,
  sent: 0,
  completed: 0,
  ok: 0,
  errors: 0,
  inFlight: 0,
  dropped: 0,
  completedPerSec: 0,
  windowP99Ms: 0,
});

class WorkerRun implements LoadRun {
  readonly done: Promise<LoadResult>;
  readonly started: Promise<void>;
  #onStarted: () => void = () => {};
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag: Int32Array;
  #seq = 0;
  #result: LoadResult | undefined;
  #lastProgress: LoadProgress = emptyProgress();
  #lastSeries: LoadSeries;
  #stopped = false;
  #ended = false;
  /** The worker answers calls once it has started the run; until then the calls answer with the defaults. */
  #ready = false;

  constructor(options: LoadOptions) {
    const { clock: _c, ok: _o, onProgress, signal, thread: _t, ...data } = options;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#flag = new Int32Array(new SharedArrayBuffer(4));
    this.#lastSeries = {
      format: LOAD_SERIES_FORMAT,
      startMs: Date.now(),
      bucketMs: 1000,
      model: 'open',
      target: options.url,
      buckets: [],
    };
    const input: WorkerInput = {
      options: data,
      progress: onProgress !== undefined,
      port: port2,
      flag: this.#flag,
    };
    this.#worker = spawnWorker(input, port2);
    this.started = new Promise<void>((resolve) => {
      this.#onStarted = resolve;
    });
    const onAbort = () => this.stop();
    if (signal?.aborted) this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });

    this.done = new Promise<LoadResult>((resolve, reject) => {
      this.#worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          this.#ready = true;
          this.#onStarted();
        } else if (m.type === 'progress') {
          this.#lastProgress = m.progress;
          onProgress?.(m.progress);
        } else if (m.type === 'done') {
          this.#result = m.result;
          resolve(m.result);
        } else {
          const err = new Error(m.message);
          if (m.stack !== undefined) err.stack = m.stack;
          reject(err);
        }
      });
      this.#worker.on('error', reject);
      this.#worker.on('exit', (code) => {
        this.#ended = true;
        this.#onStarted();
        this.#port.close();
        signal?.removeEventListener('abort', onAbort);
        if (this.#result === undefined)
          reject(new Error(`load worker exited (code ${code}) without a result`));
      });
    });
  }

  progress(): LoadProgress {
    const r = this.#result;
    if (r !== undefined) {
      const k = r.summary;
      return {
        ...this.#lastProgress,
        elapsedMs: r.elapsedMs,
        sent: k.sent,
        completed: k.completed,
        ok: k.ok,
        errors: k.completed - k.ok,
        inFlight: 0,
        dropped: k.dropped,
      };
    }
    const p = this.#call('progress') as LoadProgress | undefined;
    if (p !== undefined) this.#lastProgress = p;
    return { ...this.#lastProgress };
  }

  series(): LoadSeries {
    if (this.#result !== undefined) return this.#result.series;
    const s = this.#call('series') as LoadSeries | undefined;
    if (s !== undefined) this.#lastSeries = s;
    return this.#lastSeries;
  }

  stop(): void {
    if (this.#stopped || this.#ended) return;
    this.#stopped = true;
    this.#worker.postMessage({ type: 'stop' });
  }

  /** A synchronous call to the worker: its reply, or undefined when it did not answer in time. */
  #call(kind: SyncCall['kind']): LoadProgress | LoadSeries | undefined {
    if (this.#ended || !this.#ready) return undefined;
    const id = ++this.#seq;
    const call: SyncCall = { id, kind };
    this.#port.postMessage(call);
    const deadline = performance.now() + SYNC_WAIT_MS;
    for (;;) {
      // The worker posts its reply before bumping the counter, so a bumped counter means a reply to take.
      const seen = Atomics.load(this.#flag, 0);
      for (
        let got = receiveMessageOnPort(this.#port);
        got !== undefined;
        got = receiveMessageOnPort(this.#port)
      ) {
        const reply = got.message as SyncReply;
        if (reply.id === id) return reply.value;
        // an answer to an earlier call that timed out: stale
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.#ended) return undefined;
      Atomics.wait(this.#flag, 0, seen, left);
    }
  }
}

/** Starts a load run in a worker thread; options were checked by the caller. */
export function startLoadInWorker(options: LoadOptions): LoadRun {
  return new WorkerRun(options);
}
