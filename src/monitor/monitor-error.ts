// How the monitor stops on an error: one message for its operator (prefixed with the program name) and an exit code.

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
