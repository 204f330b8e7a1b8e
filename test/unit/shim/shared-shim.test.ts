// The shared shim's stay: it names itself in <socket>.pid while it takes containers, goes only after a stay with
// no container and a grace with no connection, and a connection in the grace keeps it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identify } from '../../../src/runtime/process-identity';
import { SharedStay } from '../../../src/shim/shared-shim';

let dir: string;
let socketPath: string;
let busy: boolean;
let exits: number;
let stay: SharedStay;
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcc-shared-'));
  socketPath = join(dir, 'sock');
  busy = false;
  exits = 0;
  stay = new SharedStay({ socketPath, idleMs: 150, graceMs: 150, busy: () => busy, exit: () => exits++ });
});
afterEach(() => {
  stay.close();
  rmSync(dir, { recursive: true, force: true });
});

const named = (): string | undefined => (existsSync(`${socketPath}.pid`) ? readFileSync(`${socketPath}.pid`, 'utf8') : undefined);

test('listening writes "PID STARTTIME" of this process; a stay and a grace with nobody, and it goes', async () => {
  stay.listening();
  const self = identify(process.pid)!;
  expect(named()).toBe(`${self.pid} ${self.startTime}\n`);
  await wait(220);
  expect({ named: named(), exits }).toEqual({ named: undefined, exits: 0 });
  await wait(150);
  expect(exits).toBe(1);
});

test('a connection in the grace brings the pid file back and starts the stay over', async () => {
  stay.listening();
  await wait(220);
  expect(named()).toBeUndefined();
  stay.connected();
  expect(named()).toBeDefined();
  await wait(120);
  expect(exits).toBe(0);
  await wait(300);
  expect(exits).toBe(1);
});

test('a container still served keeps it and its pid file; the Shutdown that finds none starts the stay', async () => {
  stay.listening();
  busy = true;
  await wait(400);
  expect({ named: named() !== undefined, exits }).toEqual({ named: true, exits: 0 });
  busy = false;
  stay.idle();
  await wait(100);
  stay.idle();
  await wait(100);
  expect({ named: named() !== undefined, exits }).toEqual({ named: true, exits: 0 });
  await wait(300);
  expect(exits).toBe(1);
});

test('close removes the pid file at once and nothing fires after it', async () => {
  stay.listening();
  stay.close();
  expect(named()).toBeUndefined();
  await wait(400);
  expect(exits).toBe(0);
});

test('a pid file another server of the same name wrote is not this shim\'s to remove', () => {
  stay.listening();
  writeFileSync(`${socketPath}.pid`, '999999 12345\n');
  stay.close();
  expect(named()).toBe('999999 12345\n');
});
