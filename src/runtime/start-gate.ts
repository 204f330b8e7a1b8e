// The start gate between a created container's monitor and `runcc start`: a FIFO in the state directory. Both ends
// live here, as runc's exec.fifo does: the monitor opens the FIFO for writing (which blocks until a reader comes)
// and writes one byte; `start` opens it for reading without blocking, waits for that byte, and only then unlinks
// it. So either side may come first: a `start` that arrives before the monitor reached the gate waits for it (and
// fails if the monitor dies meanwhile), and the monitor never opens a FIFO that `start` already removed.
import { closeSync, constants, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from './runtime-error';
import { START_FIFO } from './state-store';

const OPENED = Buffer.from('0');
const WAIT_STEP_MS = 5;

function gatePath(stateDir: string): string {
  return join(stateDir, START_FIFO);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes the closed gate (at create). */
export function makeStartGate(stateDir: string): void {
  // Loaded here: it brings koffi, which `state` and `start` (the other users of this module) never need.
  const { makeFifo } = require('../ffi/fifo') as typeof import('../ffi/fifo');
  makeFifo(gatePath(stateDir));
}

/** True while the gate is closed: the container was created and not started. */
export function startGateClosed(stateDir: string): boolean {
  return existsSync(gatePath(stateDir));
}

/**
 * Monitor side: resolves when `start` has taken the byte. The blocking open runs on a libuv worker, so signals
 * (`kill`, `delete`) still reach the monitor while it waits. A reader that goes away before the byte is written
 * (a `start` that died) is waited out: the gate stays closed for the next `start`.
 */
export async function waitAtStartGate(stateDir: string): Promise<void> {
  for (;;) {
    let gate;
    try {
      gate = await open(gatePath(stateDir), constants.O_WRONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError('the start gate is gone: the container was deleted before it started');
      throw error;
    }
    try {
      await gate.write(OPENED);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    } finally {
      await gate.close();
    }
  }
}

/**
 * `start` side: opens the gate once the monitor is at it (`monitorAlive` is asked while waiting; a monitor that
 * died fails the start instead of hanging it), then removes the FIFO, which makes the container `running`.
 */
export async function openStartGate(stateDir: string, monitorAlive: () => boolean): Promise<void> {
  const path = gatePath(stateDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError('cannot start an already running container');
    throw error;
  }
  try {
    const byte = Buffer.alloc(1);
    for (;;) {
      let got = 0;
      try {
        // 0: no writer has the FIFO open yet; EAGAIN: one has, and has not written yet.
        got = readSync(fd, byte, 0, 1, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      if (got === 1) break;
      if (!monitorAlive()) throw new RuntimeError('the container exited before it started');
      await sleep(WAIT_STEP_MS);
    }
    unlinkSync(path);
  } finally {
    closeSync(fd);
  }
}
