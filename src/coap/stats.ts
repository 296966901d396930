import type { CoapCounters } from './types.js';

/** Event counters of an endpoint; gauges are added when `stats()` is read. */
export type Counters = CoapCounters;

export function newCounters(): Counters {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    malformed: 0,
    duplicates: 0,
    retransmissions: 0,
    timeouts: 0,
    resetsSent: 0,
    resetsReceived: 0,
    requestsIn: 0,
    requestsOut: 0,
    responsesIn: 0,
    notifications: 0,
    staleNotifications: 0,
    orphanNotifications: 0,
    badOption: 0,
    handlerErrors: 0,
    internalErrors: 0,
  };
}
