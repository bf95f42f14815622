/**
 * The Toxiproxy-compatible TCP proxy: `createProxyServer()` runs proxies with toxics behind Toxiproxy's HTTP
 * API; `defineToxic()` + `registerToxic()` add toxic types; `createFakeClock()` tests them without sleeping.
 */
export {
  type AttributeSpec,
  type AttributeSpecs,
  type AttributeValues,
  parseAttributes,
} from './attributes.js';
export {
  type Clock,
  type ClockTimer,
  createFakeClock,
  createSystemClock,
  type FakeClock,
  systemClock,
} from './clock.js';
export { drawsToxic } from './connection.js';
export { ProxyApiError } from './errors.js';
export type { ProxyJSON, ProxyStats, ToxicJSON } from './proxy.js';
export { getToxicDefinition, registerToxic, toxicDefinitions } from './registry.js';
export {
  createProxyServer,
  ProxyServer,
  type ProxyServerAddress,
  type ProxyServerOptions,
} from './server.js';
export {
  defineToxic,
  passThroughStage,
  type StreamDirection,
  type ToxicContext,
  type ToxicDefinition,
  type ToxicStage,
  type ToxicStagePair,
} from './toxic.js';
export * from './toxics/index.js';
