/** JSON Schema validation for tests, with ajv (draft-7, as the published schemas declare), errors as lines. */
import { Ajv, type ValidateFunction } from 'ajv';

// compiling a schema costs far more than validating with it: once per schema object
const compiled = new WeakMap<object, ValidateFunction>();

/** Every way `value` breaks `schema`, one `<JSON pointer> <message>` line each; [] when it is valid. */
export function validateJsonSchema(schema: object, value: unknown): string[] {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : '';
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
}
