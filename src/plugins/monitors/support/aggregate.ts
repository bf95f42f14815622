/**
 * How a monitor combines several numbers (its hosts' values, every matching series) into its one sample value.
 * One vocabulary for every monitor that aggregates: `host.command` and `prometheus`.
 */
const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

export const AGGREGATES = {
  sum,
  min: (v: readonly number[]) => Math.min(...v),
  max: (v: readonly number[]) => Math.max(...v),
  mean: (v: readonly number[]) => sum(v) / v.length,
  count: (v: readonly number[]) => v.length,
} as const;

export type Aggregate = keyof typeof AGGREGATES;

/** The names, for an options schema's enum. */
export const AGGREGATE_NAMES = Object.keys(AGGREGATES) as [Aggregate, ...Aggregate[]];
