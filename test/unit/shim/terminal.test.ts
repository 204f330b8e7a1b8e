// The shim's console for a terminal task: a real pty and real FIFOs (as containerd's client makes them); the test
// stands in for the monitor on the slave side.
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, read, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTerminal } from '../../../src/shim/terminal';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcc-terminal-'));
  for (const name of ['stdin', 'stdout']) execFileSync('mkfifo', [join(dir, name)]);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function readAll(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    createReadStream(path, { encoding: 'latin1' })
      .on('data', (chunk) => (text += chunk))
      .on('end', () => resolve(text))
      .on('error', reject);
  });
}

function readSome(fd: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.alloc(256);
    read(fd, buffer, 0, buffer.length, null, (error, n) => (error ? reject(error) : resolve(buffer.subarray(0, n).toString('latin1'))));
  });
}

test('output through the pty reaches stdout with \\r\\n, the FIFO ends when the last slave closes, input reaches the slave', async () => {
  const output = readAll(join(dir, 'stdout'));
  const terminal = openTerminal(join(dir, 'stdin'), join(dir, 'stdout'));
  // The monitor's own copy of the slave; the shim's copy is closed as after a create.
  const monitorSlave = openSync(`/proc/self/fd/${terminal.slave}`, 'r+');
  terminal.closeSlave();

  const writer = openSync(join(dir, 'stdin'), 'w');
  writeSync(writer, 'typed\n');
  expect(await readSome(monitorSlave)).toBe('typed\n');

  terminal.resize({ columns: 97, rows: 31 });
  expect(terminal.size()).toEqual({ columns: 97, rows: 31 });

  writeSync(monitorSlave, 'Hello\nworld\n');
  closeSync(monitorSlave);
  // The pty's echo of the typed line comes first, then the output with the line discipline's \r\n.
  expect(await output).toBe('typed\r\nHello\r\nworld\r\n');
  await terminal.drained;
  // The guest is gone: a late ResizePty finds the master closed and does nothing (its number may be reused).
  expect(terminal.open).toBe(false);
  expect(() => terminal.resize({ columns: 80, rows: 24 })).not.toThrow();
  terminal.closeStdin();
  closeSync(writer);
  terminal.close();
});

test('a stdout that cannot be opened leaves no pty behind and says why', () => {
  const fds = (): string[] => readdirSync('/proc/self/fd');
  const before = fds();
  expect(() => openTerminal('', join(dir, 'missing'))).toThrow(/cannot set up the container's terminal/);
  expect(fds()).toEqual(before);
});
