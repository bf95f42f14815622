/**
 * faultline's public API. Everything a user imports comes from here; modules not re-exported are internal.
 */
export { FaultlineError, InvalidOptionError } from './core/errors.js';
export { hashString, laneOf, mix32, normalizeSeed, RandomStream, randomStream, type SeedInput } from './core/random.js';
