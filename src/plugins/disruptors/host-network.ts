/**
 * `host.network`: packet loss, delay and a bandwidth limit on a host's traffic with chosen peers or ports (the
 * library's src/fleet/faults/network.ts: iptables statistic rules for loss, tc for delay and bandwidth), on
 * each picked instance's host. Journaled before it is applied; `faultline recover` undoes it from the record.
 */
import { perHostDisruptor } from '../../disruptors/host-fault.js';
import { network } from '../../fleet/faults/index.js';

export const hostNetwork = perHostDisruptor(
  network,
  "Drop a share of a host's packets (iptables), delay them or limit their bandwidth (tc) toward chosen peers or ports.",
);
