export { disableChaos, enableChaos, isChaosEnabled } from './env.js';
export {
  buildError,
  type ErrorClass,
  type ErrorFactory,
  type ErrorSpec,
  type FaultContext,
  HttpStatusError,
  isSystemErrorCode,
  SYSTEM_ERROR_CODES,
  type SystemErrorDetails,
  systemError,
} from './errors.js';
export { type DeclaredErrors, type InjectedMark, injectedFault } from './outcome.js';
export { type ChaosScope, type ChaosScopeOptions, chaosScope } from './scope.js';
export type { CallShape } from './shape.js';
export { type ChaosControl, type ChaosRule, controlOf, traceOf, type WrapOptions, wrap } from './wrap.js';
