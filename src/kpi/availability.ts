/**
 * Availability per monitor: the fraction of a monitor's samples that succeeded and its outages (runs of
 * consecutive failed samples). An outage lasts from its first failed sample to the next successful one, or to
 * `endMs` (default: the last sample) when it never ended. Pure: samples carry their own times.
 */

/** One probe result of a monitor. */
export interface MonitorSample {
  /** Epoch ms of the probe. */
  tMs: number;
  ok: boolean;
}

/** Availability of one monitor. */
export interface Availability {
  samples: number;
  ok: number;
  /** ok / samples; 1 when there are no samples (nothing failed). */
  availability: number;
  /** Number of outages. */
  outages: number;
  /** Longest outage in ms (0 without outages). */
  longestOutageMs: number;
  /** Σ outage durations in ms. */
  downtimeMs: number;
  /** Whether the last outage was still going at the end. */
  endedDown: boolean;
}

/** Availability of one monitor's samples (in any order). */
export function availability(
  samples: readonly MonitorSample[],
  options: { endMs?: number } = {},
): Availability {
  const sorted = [...samples].sort((a, b) => a.tMs - b.tMs);
  let ok = 0;
  let outages = 0;
  let longest = 0;
  let downtime = 0;
  let downSince: number | null = null;
  for (const s of sorted) {
    if (s.ok) {
      ok += 1;
      if (downSince !== null) {
        const d = s.tMs - downSince;
        longest = Math.max(longest, d);
        downtime += d;
        downSince = null;
      }
    } else if (downSince === null) {
      downSince = s.tMs;
      outages += 1;
    }
  }
  const endedDown = downSince !== null;
  if (downSince !== null) {
    const end = Math.max(options.endMs ?? (sorted[sorted.length - 1] as MonitorSample).tMs, downSince);
    longest = Math.max(longest, end - downSince);
    downtime += end - downSince;
  }
  return {
    samples: sorted.length,
    ok,
    availability: sorted.length === 0 ? 1 : ok / sorted.length,
    outages,
    longestOutageMs: longest,
    downtimeMs: downtime,
    endedDown,
  };
}

/** Availability of every monitor, keyed by monitor name. */
export function availabilityByMonitor(
  samples: Readonly<Record<string, readonly MonitorSample[]>>,
  options: { endMs?: number } = {},
): Record<string, Availability> {
  const out: Record<string, Availability> = {};
  for (const [name, s] of Object.entries(samples)) out[name] = availability(s, options);
  return out;
}
