import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) from a /proc stat file: `/proc/<pid>/stat` for a whole process,
 * `/proc/<pid>/task/<tid>/stat` for one thread. Undefined where there is no /proc (not Linux).
 */
export function procCpuMs(statFile: string): number | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** A process's CPU time (ms, all threads) from /proc; NaN elsewhere, so per-operation figures read "NaN", not 0. */
export function processCpuMs(pid: number | undefined): number {
  return procCpuMs(`/proc/${pid}/stat`) ?? NaN;
}
