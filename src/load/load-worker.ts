/**
 * The worker thread's side of {@link startLoadInWorker} (./worker-run.ts): runs the load in this thread and
 * answers the caller's synchronous `progress()` / `series()` calls, its stop, and finally posts the result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLoad } from './http-runner.js';
import type { SyncCall, SyncReply, WorkerInput, WorkerMessage } from './worker-run.js';

const input = workerData as WorkerInput;
const parent = parentPort;
if (parent === null) throw new Error('load-worker runs as a worker thread only');
const post = (m: WorkerMessage) => parent.postMessage(m);

const run = startLoad({
  ...input.options,
  thread: 'main',
  ...(input.progress ? { onProgress: (progress) => post({ type: 'progress', progress }) } : {}),
});

input.port.on('message', (call: SyncCall) => {
  const reply: SyncReply = { id: call.id, value: call.kind === 'series' ? run.series() : run.progress() };
  input.port.postMessage(reply);
  // After the reply is queued: the caller takes it when it sees the counter move.
  Atomics.store(input.flag, 0, call.id);
  Atomics.notify(input.flag, 0);
});
parent.on('message', (m: { type: string }) => {
  if (m.type === 'stop') run.stop();
});
post({ type: 'ready' });

run.done.then(
  (result) => {
    post({ type: 'done', result });
    // Nothing else keeps this thread alive: it exits once the ports are closed.
    input.port.close();
    parent.close();
  },
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'error', message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) });
    input.port.close();
    parent.close();
  },
);
