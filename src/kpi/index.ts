/** KPIs over recorded load samples and monitor samples: pure functions, times passed in. */
export {
  type Availability,
  availability,
  availabilityByMonitor,
  type MonitorSample,
} from './availability.js';
export { kpiValue, LATENCY_PERCENTILES } from './measure.js';
export {
  bucketInFlightAt,
  bucketMeets,
  bucketOverlaps,
  bucketsKpis,
  type FailureClass,
  type FaultWindow,
  type LatencyKpis,
  type PhaseKpis,
  type PhasesKpis,
  phaseKpis,
  phaseOf,
  phasesOf,
  windowKpis,
} from './phases.js';
export {
  bucketHealthy,
  type Recovery,
  type RecoveryOptions,
  type RecoveryTolerance,
  recoveryTolerance,
  timesToRecover,
  timeToRecover,
} from './recovery.js';
