/** Chaos HTTP: faults for undici (interceptor, chaosFetch, global install) and for node:http clients. */
export { describeHttpEntry, type HttpChaosControl, type HttpChaosOptions } from './engine.js';
export {
  type ChaosFetch,
  type ChaosFetchOptions,
  type ChaosInstallation,
  chaosFetch,
  installChaos,
} from './fetch.js';
export { type ChaosInterceptor, chaosInterceptor, peerClosedError, peerResetError } from './interceptor.js';
export { type HttpChaosInstallation, installHttpChaos, socketHangUpError } from './node-http.js';
export { type HttpFaultRule, type HttpRequestInfo, httpFaults, type ResetMode } from './rules.js';
