/**
 * Toxic types by name. Each toxic module registers itself here when imported (src/proxy/toxics/index.ts imports
 * them all); the API looks types up by name — there is no switch over type names anywhere. Registering a name
 * twice is an error, so two modules can never silently shadow each other.
 */
import { FaultlineError } from '../core/errors.js';
import type { AttributeSpecs } from './attributes.js';
import type { ToxicDefinition } from './toxic.js';

const registry = new Map<string, ToxicDefinition>();

/** Adds a toxic type. Throws `FAULTLINE_PROXY_DUPLICATE_TOXIC` if the type name is taken. */
export function registerToxic<S extends AttributeSpecs>(definition: ToxicDefinition<S>): ToxicDefinition<S> {
  if (registry.has(definition.type)) {
    throw new FaultlineError(
      'FAULTLINE_PROXY_DUPLICATE_TOXIC',
      `toxic type ${JSON.stringify(definition.type)} is already registered`,
    );
  }
  registry.set(definition.type, definition as unknown as ToxicDefinition);
  return definition;
}

/** The definition registered under `type`, if any. */
export function getToxicDefinition(type: string): ToxicDefinition | undefined {
  return registry.get(type);
}

/** Every registered toxic type, in registration order. */
export function toxicDefinitions(): ToxicDefinition[] {
  return [...registry.values()];
}
