// The container's stdio as containerd hands it over (Create's stdin/stdout/stderr): FIFOs the client made, a
// `file://` URI, or nothing. The monitor writes into them itself: no copy loop in the shim, so output is in the
// FIFO when the guest exits and containerd's reader sees EOF when the monitor is gone.
import { closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Code, TtrpcError } from './ttrpc/status';

/** The container's stdin, stdout and stderr as descriptors of the shim's; a missing one is /dev/null. */
export interface ShimStdio {
  stdin?: number;
  stdout?: number;
  stderr?: number;
}

export interface OpenedStdio {
  stdio: ShimStdio;
  /** The shim's copies of the fds, closed once the monitor holds its own. */
  close(): void;
  /** The read ends held on the output FIFOs, released when the task is deleted. */
  readers: FifoReaders;
}

/**
 * Read ends the shim holds on a task's output FIFOs while the task exists. A client may stop reading at any time
 * (`ctr run -d` exits as soon as the task starts): with no reader left, the guest's next console write would fail
 * with EPIPE and end the monitor. With one held, writes go on, and wait once the FIFO is full, as under runc's shim.
 * A reader that never reads takes nothing from a real one, and holds no write end, so EOF still comes when the
 * monitor exits.
 */
export class FifoReaders {
  private readonly fds: number[] = [];

  hold(path: string): void {
    // Non-blocking: an open for reading alone never waits for a writer.
    this.fds.push(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  }

  release(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}

/**
 * A writer on a FIFO without blocking: O_RDWR never waits for a reader, and with it open, an O_WRONLY open does not
 * either; the O_RDWR one is dropped, so the monitor ends up the FIFO's only writer and its exit is the reader's EOF.
 */
function openFifoWriter(path: string): number {
  const both = openSync(path, constants.O_RDWR);
  try {
    return openSync(path, constants.O_WRONLY);
  } finally {
    closeSync(both);
  }
}

export function openOutput(target: string, opened: Map<string, number>, readers: FifoReaders): number | undefined {
  if (target === '') return undefined;
  const known = opened.get(target);
  if (known !== undefined) return known;
  let fd: number;
  if (target.startsWith('file://')) {
    const path = target.slice('file://'.length);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new TtrpcError(Code.UNIMPLEMENTED, `stdio ${target.split(':')[0]}:// is not supported by runcc's shim: use FIFOs or file://`);
  } else if (statSync(target).isFIFO()) {
    readers.hold(target);
    fd = openFifoWriter(target);
  } else {
    fd = openSync(target, constants.O_WRONLY | constants.O_APPEND);
  }
  opened.set(target, fd);
  return fd;
}

/** Opens stdout and stderr (one fd when they are the same); stdin is /dev/null: a unikernel reads no console input. */
export function openStdio(stdout: string, stderr: string, terminal: boolean): OpenedStdio {
  const opened = new Map<string, number>();
  const readers = new FifoReaders();
  const close = (): void => {
    for (const fd of opened.values()) closeSync(fd);
    opened.clear();
  };
  try {
    const out = openOutput(stdout, opened, readers);
    // With a terminal the client never creates the stderr FIFO (CRI still names one).
    const err = terminal ? out : openOutput(stderr, opened, readers);
    return { stdio: { stdout: out, stderr: err }, close, readers };
  } catch (error) {
    close();
    readers.release();
    if (error instanceof TtrpcError) throw error;
    throw new TtrpcError(Code.INVALID_ARGUMENT, `cannot open the container's stdio: ${(error as Error).message}`);
  }
}
