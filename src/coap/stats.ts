/** Event counters of an endpoint; gauges are added when `stats()` is read. */
export interface Counters {
  datagramsIn: number;
  datagramsOut: number;
  malformed: number;
  duplicates: number;
  retransmissions: number;
  timeouts: number;
  resetsSent: number;
  resetsReceived: number;
  requestsIn: number;
  requestsOut: number;
  responsesIn: number;
  notifications: number;
  staleNotifications: number;
  orphanNotifications: number;
  badOption: number;
  handlerErrors: number;
  /** Bugs caught at the top of the receive path (should stay 0). */
  internalErrors: number;
}

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
