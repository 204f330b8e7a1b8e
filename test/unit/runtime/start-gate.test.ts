// The start gate's handshake, both ends in one process: whichever side comes first, start returns only once the
// monitor is through the gate, and neither side hangs when the other is gone.
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeStartGate, openStartGate, startGateClosed, waitAtStartGate } from '../../../src/runtime/start-gate';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcc-gate-'));
  makeStartGate(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('the monitor first: it waits at the gate until start opens it', async () => {
  let through = false;
  const monitor = waitAtStartGate(dir).then(() => (through = true));
  await later(50);
  expect(through).toBe(false);
  expect(startGateClosed(dir)).toBe(true);
  await openStartGate(dir, () => true);
  await monitor;
  expect(through).toBe(true);
  expect(startGateClosed(dir)).toBe(false);
});

test('start first: it waits for the monitor to reach the gate, then opens it', async () => {
  let started = false;
  const start = openStartGate(dir, () => true).then(() => (started = true));
  await later(100);
  expect(started).toBe(false);
  expect(startGateClosed(dir)).toBe(true);
  await waitAtStartGate(dir);
  await start;
  expect(started).toBe(true);
  expect(existsSync(join(dir, 'exec.fifo'))).toBe(false);
});

test('a writer that leaves without writing does not open the gate; the monitor that comes after it does', async () => {
  let started = false;
  const start = openStartGate(dir, () => true).then(() => (started = true));
  await later(30);
  closeSync(openSync(join(dir, 'exec.fifo'), constants.O_WRONLY | constants.O_NONBLOCK));
  await later(50);
  expect(started).toBe(false);
  expect(startGateClosed(dir)).toBe(true);
  await waitAtStartGate(dir);
  await start;
  expect(started).toBe(true);
  expect(startGateClosed(dir)).toBe(false);
});

test('start fails, and leaves the gate closed, when the monitor dies before reaching it', async () => {
  let alive = true;
  const start = openStartGate(dir, () => alive);
  await later(30);
  alive = false;
  await expect(start).rejects.toThrow('the container exited before it started');
  expect(startGateClosed(dir)).toBe(true);
});

test('a monitor that wrote its byte and exited before start looked is reported started, not dead', async () => {
  const writer = openSync(join(dir, 'exec.fifo'), constants.O_RDWR);
  try {
    const start = openStartGate(dir, () => false);
    require('node:fs').writeSync(writer, '0');
    // Blocked past the alive check's period: the timer and the FIFO's readiness meet in the same turn of the loop.
    const until = Date.now() + 50;
    while (Date.now() < until);
    await expect(start).resolves.toBeUndefined();
    expect(startGateClosed(dir)).toBe(false);
  } finally {
    closeSync(writer);
  }
});

test('a gate removed before the monitor reached it (a deleted container) ends the monitor with a message', async () => {
  rmSync(join(dir, 'exec.fifo'));
  await expect(waitAtStartGate(dir)).rejects.toThrow('the start gate is gone: the container was deleted before it started');
  await expect(openStartGate(dir, () => true)).rejects.toThrow('cannot start an already running container');
});
