/**
 * faultline's public API. Everything a user imports comes from here; modules not re-exported are internal.
 */

export * from './chaos/index.js';
export * from './core/index.js';
export * from './disruptors/index.js';
export * from './experiment/index.js';
export * from './explore/index.js';
export * from './failpoint/index.js';
export * from './fleet/index.js';
export * from './http/index.js';
export * from './kpi/index.js';
export * from './load/index.js';
export * from './monitors/index.js';
export * from './proxy/index.js';
export * from './report/index.js';
export * from './suite/index.js';
