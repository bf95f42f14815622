/**
 * Failpoints: named failure points left in a program's own code, off by default, switched on at run time
 * (FAULTLINE_FAILPOINTS, the control endpoint, the `faultline failpoint` CLI or the API), with chances,
 * counts, chains, crashes and pause/release ordering. See docs/failpoints.md.
 *
 * Loading this module applies the FAULTLINE_FAILPOINTS* environment variables once (see ./env.ts).
 */
import { applyFailpointEnvironment } from './env.js';

export {
  createFailpointClient,
  FailpointClient,
  type FailpointClientOptions,
  FailpointEndpointError,
  type FailpointListing,
} from './client.js';
export { FailpointError, FailpointParseError } from './errors.js';
export {
  type FailpointAction,
  type FailpointAssignment,
  type FailpointSpec,
  type FailpointTerm,
  type FailpointValue,
  formatFailpointTerm,
  isValidFailpointName,
  parseFailpointsEnv,
  parseFailpointTerm,
} from './grammar.js';
export {
  type FailpointFiredMessage,
  type FailpointInfo,
  type FailpointSetOptions,
  type FailpointWaiter,
  failpoint,
  failpointSync,
  failpoints,
} from './registry.js';
export {
  type FailpointServer,
  type FailpointServerOptions,
  startFailpointServer,
} from './server.js';

applyFailpointEnvironment();
