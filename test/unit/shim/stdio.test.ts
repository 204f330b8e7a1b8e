// The shim's hold on a task's output FIFOs: real FIFOs, as containerd's client makes them; the test stands in for
// the client (a reader that goes away) and for the monitor (the writer).
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStdio } from '../../../src/shim/stdio';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcc-stdio-'));
  for (const name of ['stdout', 'stderr']) execFileSync('mkfifo', [join(dir, name)]);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fds = (): string[] => readdirSync('/proc/self/fd');

test('a client that stops reading (ctr run -d exits) leaves the guest its console; released, the FIFO has no reader', () => {
  const before = fds();
  const client = openSync(join(dir, 'stdout'), constants.O_RDONLY | constants.O_NONBLOCK);
  const opened = openStdio(join(dir, 'stdout'), join(dir, 'stderr'), false);
  // The monitor's own writer, then the shim's copies go, as after a create.
  const monitor = openSync(`/proc/self/fd/${opened.stdio.stdout}`, constants.O_WRONLY);
  opened.close();
  closeSync(client);
  expect(writeSync(monitor, 'cpu_cycle_freq 2596116000\n')).toBe(26);
  opened.readers.release();
  expect(() => writeSync(monitor, 'slept\n')).toThrow(/EPIPE/);
  closeSync(monitor);
  expect(fds()).toEqual(before);
});

test('a stdio that cannot be opened leaves no descriptor behind and says why', () => {
  const before = fds();
  expect(() => openStdio(join(dir, 'stdout'), join(dir, 'missing'), false)).toThrow(/cannot open the container's stdio/);
  expect(fds()).toEqual(before);
});
