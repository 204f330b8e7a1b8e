// How the monitor stops on an error: one message for its operator (prefixed with the program name) and an exit code.
import { ElfError } from '../elf/elf-error';
import { SysError } from '../ffi/sys-error';

export class MonitorError extends Error {
  readonly code = 'EMONITOR';
  constructor(
    message: string,
    readonly exitCode = 1,
    /** Print the usage text after the message (option errors, as solo5-hvt does). */
    readonly withUsage = false,
  ) {
    super(message);
    this.name = 'MonitorError';
  }
}

/** Stops the monitor with exit status 1, the status of every fatal error in the Solo5 tender. */
export function fatal(message: string): never {
  throw new MonitorError(message);
}

/** What to tell the operator about any error that ended the monitor: never a stack trace. */
export function monitorFailure(error: unknown): MonitorError {
  if (error instanceof MonitorError) return error;
  if (error instanceof ElfError || error instanceof SysError) return new MonitorError(error.message);
  return new MonitorError(`internal error: ${error instanceof Error ? error.message : String(error)}`);
}
