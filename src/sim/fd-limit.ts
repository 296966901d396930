import { readFileSync } from 'node:fs';

/** File descriptors a process needs besides the devices' sockets (stdio, the event loop, logs, slack). */
const RESERVED_DESCRIPTORS = 64;

/**
 * The soft limit on open files of this process (`ulimit -n`), from /proc/self/limits on Linux;
 * undefined where that is not available (then nothing is checked and the OS has the last word).
 */
export function openFileLimit(): number | undefined {
  try {
    const text = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Each simulated device owns a UDP socket (one descriptor): the server addresses a device by
 * the address:port it registered from, so devices cannot share a port. Refuses, with the fix in
 * the message, a fleet that would run out of descriptors half-way.
 */
export function checkDescriptorBudget(devices: number, limit: number | undefined = openFileLimit()): void {
  if (limit === undefined) return;
  const available = limit - RESERVED_DESCRIPTORS;
  if (devices > available) {
    throw new RangeError(`${devices} devices need ${devices + RESERVED_DESCRIPTORS} open files, but the limit is ${limit} (raise it with "ulimit -n ${devices + RESERVED_DESCRIPTORS}", or run at most ${Math.max(0, available)} devices per process)`);
  }
}
