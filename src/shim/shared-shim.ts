// The shared shim's stay (`shared_shim = 1`): a shim that serves every container of its namespace and options does
// not exit at the Shutdown that finds no container, as a group's shim does, but stays `shared_shim_idle_s` more,
// its pool booted, so the next `ctr run` or pod starts no node at all. While it takes containers it names itself in
// `<socket>.pid` (address.ts), which the shell front reads to join it without node. Going is in two steps, since a
// `start` may have read the pid file just before it went: the file is removed, and only if no connection arrives
// within GRACE_MS does the shim exit; one that arrives brings the file back and the stay begins again.
import { removeServerPidFile, writeServerPidFile } from './address';

/** Covers a `start` that read the pid file just before it went, until containerd dials what it printed. */
export const GRACE_MS = 10_000;

export interface SharedStayOptions {
  socketPath: string;
  idleMs: number;
  graceMs?: number;
  /** Whether a container is still served (then the shim stays until a later Shutdown finds none). */
  busy: () => boolean;
  /** The shim's own exit (socket, spares, publisher). */
  exit: () => void;
}

export class SharedStay {
  private idleTimer?: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;

  constructor(private readonly options: SharedStayOptions) {}

  /** The socket listens: the shell front may now join this shim. */
  listening(): void {
    writeServerPidFile(this.options.socketPath);
    this.idle();
  }

  /** containerd connected (a `start` chose this shim): a going shim stays, and takes new containers again. */
  connected(): void {
    if (!this.graceTimer) return;
    clearTimeout(this.graceTimer);
    this.stayOn();
  }

  /** Shutdown found no container (or the shim just listened): the stay starts, or starts over. */
  idle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.expire(), this.options.idleMs);
  }

  /** The shim goes now (SIGTERM): no `start` may choose it any more. */
  close(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.graceTimer);
    removeServerPidFile(this.options.socketPath);
  }

  private expire(): void {
    this.idleTimer = undefined;
    if (this.options.busy()) return;
    removeServerPidFile(this.options.socketPath);
    this.graceTimer = setTimeout(() => (this.options.busy() ? this.stayOn() : this.options.exit()), this.options.graceMs ?? GRACE_MS);
  }

  private stayOn(): void {
    this.graceTimer = undefined;
    writeServerPidFile(this.options.socketPath);
    this.idle();
  }
}
