// Peak resident memory of the waited-for child processes (getrusage RUSAGE_CHILDREN), for benchmarks.
import { libc } from './libc';
import { scratch } from './native-memory';
import { SysError } from './sys-error';

const RUSAGE_CHILDREN = -1;
/** struct rusage: two struct timeval (16 bytes each), then long ru_maxrss (KiB on Linux). */
const RU_MAXRSS_AT = 32;
const RUSAGE_BYTES = 144;

export function childrenMaxRssKiB(): number {
  const usage = scratch(RUSAGE_BYTES);
  if (libc.getrusage(RUSAGE_CHILDREN, usage.address) !== 0) throw SysError.last('getrusage');
  return Number(usage.data.getBigInt64(RU_MAXRSS_AT, true));
}
