/**
 * How `run` and `suite` take a stop from the terminal: the first SIGINT (or SIGTERM, or SIGHUP: a closed terminal
 * must not leave owned processes running and faults applied) stops and rolls back; a second skips the waits,
 * still reverting.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface StopSignals {
  /** Aborted on the first signal. */
  stop: AbortController;
  /** Aborted on the second. */
  hurry: AbortController;
  /** Stops listening. */
  dispose(): void;
}

/** Listens for the stop signals; `first` and `second` are what the user is told on each. */
export function listenForStop(first: string, second: string): StopSignals {
  const stop = new AbortController();
  const hurry = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`\n${sig}: ${first}\n`);
      stop.abort(`${sig} received`);
    } else {
      process.stderr.write(`\n${sig}: ${second}\n`);
      hurry.abort(`${sig} received twice`);
    }
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  return {
    stop,
    hurry,
    dispose: () => {
      for (const sig of SIGNALS) process.off(sig, onSignal);
    },
  };
}
