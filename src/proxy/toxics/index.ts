/**
 * Importing this module registers every built-in toxic (each module registers itself by type name). The order
 * here is the order the docs list them in.
 */

export { bandwidthToxic } from './bandwidth.js';
export { httpToxic } from './http.js';
export { latencyToxic } from './latency.js';
export { limitDataToxic } from './limit-data.js';
export { noopToxic } from './noop.js';
export { resetPeerToxic } from './reset-peer.js';
export { slicerToxic } from './slicer.js';
export { slowCloseToxic } from './slow-close.js';
export { timeoutToxic } from './timeout.js';
