/**
 * The suite's calendar: when it starts, from `schedule:`, a given "now" and a seeded stream — never the wall clock,
 * so a dry run prints the same calendar for the same seed and now, and tests need no fake timers.
 *
 * Candidates come from `every:` (now, now + every, …) or `cron:` (its next times after now, UTC). Each moves later
 * by a seeded jitter in [0, jitter), then to at least `min_interval` after the previous start; one that then falls
 * outside `window:` is skipped (not moved: a skipped night is clearer than a pile-up at the window's opening).
 * `until:` and `times:` end the calendar; without either, `limit` starts are listed.
 */
import type { RandomStream } from '../core/random.js';
import { cronParser } from '../deps/lazy.js';
import { ms } from '../experiment/duration.js';
import { DAYS, type ScheduleSpec, type WindowSpec, windowMinutes } from './schema.js';

export interface CalendarOptions {
  nowMs: number;
  rng: RandomStream;
  /** Starts listed when the schedule has neither until nor times (default 10). */
  limit?: number;
}

export interface Calendar {
  startsMs: number[];
  /** True when the schedule goes on past the listed starts (no until/times). */
  open: boolean;
}

/** Candidates looked at before giving up: a window that never matches must not loop forever. */
const MAX_CANDIDATES = 100_000;

/** Whether a start at `tMs` falls inside `window` (UTC). */
export function inWindow(tMs: number, window: WindowSpec | undefined): boolean {
  if (window === undefined) return true;
  const d = new Date(tMs);
  if (window.days && !window.days.includes(DAYS[d.getUTCDay()] as (typeof DAYS)[number])) return false;
  if (window.hours) {
    const [from, to] = windowMinutes(window.hours);
    const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
    // a window like 22:00-06:00 wraps past midnight
    return from < to ? minute >= from && minute < to : minute >= from || minute < to;
  }
  return true;
}

function candidates(schedule: ScheduleSpec, nowMs: number): () => number | undefined {
  if (schedule.every !== undefined) {
    const period = ms(schedule.every, 'schedule.every');
    let k = 0;
    return () => nowMs + period * k++;
  }
  const cron = cronParser().CronExpressionParser.parse(schedule.cron ?? '', {
    currentDate: new Date(nowMs),
    tz: 'UTC',
  });
  return () => (cron.hasNext() ? cron.next().getTime() : undefined);
}

/** The start times of `schedule` (or one start, now, without a schedule). */
export function suiteCalendar(schedule: ScheduleSpec | undefined, o: CalendarOptions): Calendar {
  if (schedule === undefined) return { startsMs: [o.nowMs], open: false };
  const jitterMs = ms(schedule.jitter, 'schedule.jitter');
  const minIntervalMs = ms(schedule.min_interval, 'schedule.min_interval');
  const untilMs = schedule.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(schedule.until);
  const bounded = schedule.until !== undefined || schedule.times !== undefined;
  const max = schedule.times ?? (bounded ? Number.POSITIVE_INFINITY : (o.limit ?? 10));
  const jitter = o.rng.fork('jitter');
  const next = candidates(schedule, o.nowMs);
  const startsMs: number[] = [];
  for (let i = 0; i < MAX_CANDIDATES && startsMs.length < max; i++) {
    const nominal = next();
    if (nominal === undefined || nominal > untilMs) break;
    // drawn by candidate index, so one skipped start does not shift the jitter of every later one
    let t = nominal + Math.floor((jitter.at(i) * jitterMs) / 1000) * 1000; // whole seconds: readable
    const prev = startsMs.at(-1);
    if (prev !== undefined) t = Math.max(t, prev + minIntervalMs);
    if (t > untilMs) break;
    if (inWindow(t, schedule.window)) startsMs.push(t);
  }
  return { startsMs, open: !bounded };
}
