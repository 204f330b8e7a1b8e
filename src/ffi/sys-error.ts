// A failed system call, with errno and the C library's text for it.
import { errno as lastErrno, strerror } from './libc';

export class SysError extends Error {
  readonly code = 'ESYSCALL';
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: ${strerror(errno)}`);
    this.name = 'SysError';
  }

  /** Captures errno right after a failed libc call. */
  static last(call: string): SysError {
    return new SysError(call, lastErrno());
  }
}
