// Errors of the OCI lifecycle, worded as runc words them: the containerd shim and dockerd match these strings.

export class RuntimeError extends Error {
  readonly code = 'ERUNTIME';
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** runc's canonical messages (libcontainer/error.go and the commands). */
export const RUNC_ERRORS = {
  exists: 'container with given ID already exists',
  invalidId: 'invalid container ID format',
  notExist: 'container does not exist',
  notRunning: 'container not running',
  stillRunning: 'container still running',
} as const;
