/**
 * The engine registry: every transport is one file exporting an {@link HttpEngineDefinition}, registered here by
 * name. {@link selectEngine} resolves `LoadOptions.engine` (`auto` picks by the URL's scheme) so the runner never
 * branches on which engine it drives.
 */
import { InvalidOptionError } from '../../core/errors.js';
import type { EngineChoice, EngineName, HttpEngineDefinition } from './engine.js';
import { rawEngine } from './raw.js';
import { undiciEngine } from './undici.js';

const registry = new Map<EngineName, HttpEngineDefinition>();

function register(definition: HttpEngineDefinition): void {
  if (registry.has(definition.name)) throw new Error(`engine '${definition.name}' is registered twice`);
  registry.set(definition.name, definition);
}

register(rawEngine);
register(undiciEngine);

/** Which engine `auto` picks for a URL protocol. */
const AUTO: Record<string, EngineName> = { 'http:': 'raw', 'https:': 'undici' };

/** Every registered engine, by name. */
export function engineDefinitions(): readonly HttpEngineDefinition[] {
  return [...registry.values()];
}

/**
 * The engine for `choice` and `url`: `auto` (the default) picks by protocol.
 * @throws InvalidOptionError naming `engine` for an unknown name or a protocol the engine cannot speak.
 */
export function selectEngine(choice: EngineChoice | undefined, url: URL): HttpEngineDefinition {
  const wanted = choice ?? 'auto';
  const name = wanted === 'auto' ? AUTO[url.protocol] : wanted;
  const definition = name === undefined ? undefined : registry.get(name);
  if (definition === undefined) {
    throw new InvalidOptionError(
      'engine',
      `must be auto or one of ${[...registry.keys()].join(', ')}, got '${String(wanted)}'`,
    );
  }
  if (!definition.protocols.includes(url.protocol)) {
    throw new InvalidOptionError(
      'engine',
      `${definition.name} speaks ${definition.protocols.join(' and ')} only, not ${url.protocol} (use auto)`,
    );
  }
  return definition;
}

export type {
  EngineChoice,
  EngineName,
  HttpEngine,
  HttpEngineDefinition,
  HttpEngineOptions,
} from './engine.js';
