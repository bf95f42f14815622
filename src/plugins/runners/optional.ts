/** A helper of the runner plug-ins, which map snake_case file options onto the load area's camelCase ones. */

/**
 * `{ key: v }` when `v` is defined, else `{}`: options without explicit undefineds, so a runner's own default
 * applies rather than an `undefined` that would override it.
 */
export const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
