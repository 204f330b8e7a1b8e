// The start gate between a created container's monitor and `runcc start`: a FIFO in the state directory. Both ends
// live here, as runc's exec.fifo does: the monitor opens the FIFO for writing (which blocks until a reader comes)
// and writes one byte; `start` opens it for reading without blocking, waits for that byte, and only then unlinks
// it. So either side may come first: a `start` that arrives before the monitor reached the gate waits for it (and
// fails if the monitor dies meanwhile), and the monitor never opens a FIFO that `start` already removed.
import { access, closeSync, constants, existsSync, open, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { RuntimeError } from './runtime-error';
import { START_FIFO } from './state-store';

const OPENED = Buffer.from('0');
/** How often a waiting `start` asks whether the monitor is still there. */
const ALIVE_CHECK_MS = 10;

function gatePath(stateDir: string): string {
  return join(stateDir, START_FIFO);
}

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
 * Monitor side, before its configuration: starts libuv's thread pool, where waitAtStartGate's blocking open runs, so
 * that a pre-started monitor's create does not wait for the pool's threads to be made (about a millisecond).
 */
export function prepareStartGate(): void {
  access('/', () => undefined);
}

/**
 * Monitor side: resolves when `start` has taken the byte. The blocking open runs on a libuv worker, so signals
 * (`kill`, `delete`) still reach the monitor while it waits. A reader that goes away before the byte is written
 * (a `start` that died) is waited out: the gate stays closed for the next `start`.
 */
export async function waitAtStartGate(stateDir: string): Promise<void> {
  for (;;) {
    let gate: number;
    try {
      gate = await openForWriting(gatePath(stateDir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError('the start gate is gone: the container was deleted before it started');
      throw error;
    }
    // The reader is there now: one byte into an empty pipe does not block, so it is written from here rather than
    // by another round trip through the pool.
    try {
      writeSync(gate, OPENED);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    } finally {
      closeSync(gate);
    }
  }
}

function openForWriting(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, constants.O_WRONLY, (error, fd) => (error ? reject(error) : resolve(fd))));
}

/**
 * `start` side: opens the gate once the monitor is at it (`monitorAlive` is asked while waiting; a monitor that
 * died fails the start instead of hanging it), then removes the FIFO, which makes the container `running`. The
 * byte is waited for by the event loop (the FIFO's read end in a libuv pipe handle), so `start` returns as soon as
 * the monitor has written it rather than at the next turn of a polling loop.
 */
export async function openStartGate(stateDir: string, monitorAlive: () => boolean): Promise<void> {
  const path = gatePath(stateDir);
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError('cannot start an already running container');
      throw error;
    }
    if (await byteThrough(fd, monitorAlive)) {
      unlinkSync(path);
      return;
    }
    // A writer came and went without writing: the FIFO now reads as ended on this descriptor; open it afresh.
  }
}

/**
 * Waits on the FIFO's read end `fd` (which it closes): true once the monitor's byte arrived, false when a writer
 * left without writing; rejects when the monitor is gone. No writer, no event: Linux reports a FIFO ended only
 * after a writer that opened it since this open closed it again.
 */
function byteThrough(fd: number, monitorAlive: () => boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const gate = new Socket({ fd, readable: true, writable: false });
    let settled = false;
    const settle = (outcome: boolean | Error): void => {
      if (settled) return;
      settled = true;
      clearInterval(aliveCheck);
      gate.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const aliveCheck = setInterval(() => {
      if (monitorAlive()) return;
      // Timers run before the loop polls descriptors: a monitor that wrote its byte, ran a short guest and exited
      // within one turn is gone, its byte still unread in the FIFO. It started.
      try {
        settle(byteWaiting(fd) ? true : new RuntimeError('the container exited before it started'));
      } catch (error) {
        settle(error as Error);
      }
    }, ALIVE_CHECK_MS);
    gate.once('data', () => settle(true));
    gate.once('end', () => settle(false));
    gate.once('error', (error) => settle(error));
  });
}

/** True when the FIFO's read end `fd` (non-blocking) holds the monitor's byte; reads it. */
function byteWaiting(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) === 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false; // a writer has it open, nothing written
    throw error;
  }
}
