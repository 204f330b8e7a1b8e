// A failure wiring or unwiring a container's network, with the command or interface at fault.

export class NetworkError extends Error {
  readonly code = 'ENETWIRE';
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}
