/** JSON Schema validation for tests, with ajv (draft-7, as the published schemas declare), errors as lines. */
import { Ajv } from 'ajv';

/** Every way `value` breaks `schema`, one `<JSON pointer> <message>` line each; [] when it is valid. */
export function validateJsonSchema(schema: object, value: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : '';
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
}
