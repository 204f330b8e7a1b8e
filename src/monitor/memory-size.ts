// Guest memory size rules (ABI reference §4.4): MiB requested, rounded down to the granule, at least one, capped.
import { MonitorError } from './monitor-error';

export interface MemorySize {
  bytes: number;
  /** Set when rounding changed the request (the monitor warns about it). */
  adjusted: boolean;
}

export function guestMemorySize(requestedMiB: number, granuleBytes: number, maxBytes: number): MemorySize {
  const requested = requestedMiB * 1024 * 1024;
  let bytes = Math.floor(requested / granuleBytes) * granuleBytes;
  if (bytes === 0) bytes = granuleBytes;
  if (bytes > maxBytes) {
    throw new MonitorError(`guest memory size ${bytes} bytes exceeds the max size ${maxBytes} bytes`);
  }
  return { bytes, adjusted: bytes !== requested };
}
