/**
 * `host.network`: packet loss, delay and a bandwidth limit on a host's traffic with chosen peers or ports (the
 * library's src/fleet/faults/network.ts: iptables statistic rules for loss, tc for delay and bandwidth), on
 * each picked instance's host. Journaled before it is applied; `faultline recover` undoes it from the record.
 */
import {
  hostFaultRecord,
  hostsOfInstance,
  injectHostFault,
  planIssues,
  revertHostFaultRecord,
} from '../../disruptors/host-fault.js';
import { defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { network, networkOptionsSchema } from '../../fleet/faults/index.js';

const NAME = 'host.network';

export const hostNetwork = defineDisruptorPlugin({
  name: NAME,
  requires: 'host',
  description:
    "Drop a share of a host's packets (iptables), delay them or limit their bandwidth (tc) toward chosen peers or ports.",
  options: networkOptionsSchema,
  checkHosts: (options, input) => planIssues(network, options, input, true),
  revertFor(instance): RevertRecord {
    return hostFaultRecord(NAME, hostsOfInstance(instance, NAME), []);
  },
  inject: (instance, options, ctx) => injectHostFault(network, hostsOfInstance(instance, NAME), options, ctx),
  revert: revertHostFaultRecord,
});
