// Terminal containers (`process.terminal`, `docker run -t`) on real KVM: the pty master reaches the caller over
// --console-socket during create, as containerd's shim receives it; the guest's console is the pty; ^C typed on the
// terminal stops the guest. runc's terminal rules and messages are asserted exactly.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SLOWDOWN } from './monitor-process';
import { RuntimeHarness, waitUntil } from './runtime-harness';

jest.setTimeout(60_000 * SLOWDOWN);

const harness = new RuntimeHarness();
const receiverBin = join(harness.work, 'console-receiver');
beforeAll(() => {
  execFileSync('gcc', ['-O2', '-o', receiverBin, resolve(__dirname, 'fixtures/console-receiver.c')]);
});
afterAll(() => harness.cleanup());

const receivers: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of receivers.splice(0)) child.kill('SIGKILL');
});

/** Starts the receiver on a fresh socket; resolves once it listens. */
async function receiver(socket: string) {
  const child = spawn(receiverBin, [socket], { stdio: ['pipe', 'pipe', 'pipe'] });
  receivers.push(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  let ended = false;
  const closed = new Promise<number | null>((done) => child.on('close', (code) => done(code))).finally(() => (ended = true));
  await waitUntil(() => output.includes('listening\n') || ended, 10_000 * SLOWDOWN);
  if (!output.includes('listening\n')) throw new Error(`console-receiver failed: ${output}`);
  return { child, closed, output: () => output };
}

const terminalBundle = (kernel: string, args: string[]): string =>
  harness.bundle(kernel, args, (config) => {
    config.process.terminal = true;
  });

test('the pty master arrives over --console-socket during create; the guest writes to the terminal', async () => {
  const socket = join(harness.runDir, 'hello.sock');
  const console = await receiver(socket);
  const r = harness.runcc(['create', '--bundle', terminalBundle('hello', ['on', 'a', 'tty']), '--console-socket', socket, 't-hello']);
  expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
  // The master was sent before create returned (runcc's spawnSync held this test's event loop until then).
  await waitUntil(() => console.output().includes('terminal: '), 10_000 * SLOWDOWN);
  expect(console.output()).toMatch(/^listening\nname: \/dev\/pts\/\d+\nterminal: yes\n$/);
  expect(harness.runcc(['start', 't-hello'])).toMatchObject({ status: 0, stderr: '' });
  expect(await console.closed).toBe(0);
  // The terminal's line discipline turns \n into \r\n, as for any program on a tty.
  expect(console.output()).toMatch(/terminal: yes\nHello from a runcc unikernel!\r\nCommand line: 'on a tty'\r\n$/);
  await waitUntil(() => harness.state('t-hello').status === 'stopped', 10_000 * SLOWDOWN);
  expect(harness.runcc(['delete', 't-hello']).status).toBe(0);
});

test('^C on the terminal stops a spinning guest: the pty is the monitor’s controlling terminal', async () => {
  const socket = join(harness.runDir, 'spin.sock');
  const console = await receiver(socket);
  expect(harness.runcc(['create', '--bundle', terminalBundle('spin', []), '--console-socket', socket, 't-spin']).status).toBe(0);
  harness.runcc(['start', 't-spin']);
  await waitUntil(() => console.output().includes('spinning\r\n'), 30_000 * SLOWDOWN);
  console.child.stdin.write('\x03');
  expect(await console.closed).toBe(0);
  expect(console.output()).toMatch(/spinning\r\n(\^C)?runcc: Exiting on signal 2\r\n$/);
  await waitUntil(() => harness.state('t-spin').status === 'stopped', 10_000 * SLOWDOWN);
  expect(harness.runcc(['delete', 't-spin']).status).toBe(0);
});

test('runc’s terminal rules: a detached terminal needs a console socket, and a socket needs a terminal', () => {
  const noSocket = harness.runcc(['create', '--bundle', terminalBundle('hello', []), 't-nosock']);
  expect(noSocket.status).toBe(1);
  expect(noSocket.stderr).toMatch(/msg="cannot allocate tty if runc will detach without setting console socket"\n$/);
  const noTerminal = harness.runcc(['create', '--bundle', harness.bundle('hello', []), '--console-socket', join(harness.runDir, 'x.sock'), 't-noterm']);
  expect(noTerminal.status).toBe(1);
  expect(noTerminal.stderr).toMatch(/msg="cannot use console socket if runc will not detach or allocate tty"\n$/);
  const unreachable = harness.runcc(['create', '--bundle', terminalBundle('hello', []), '--console-socket', join(harness.runDir, 'nobody.sock'), 't-nobody']);
  expect(unreachable.status).toBe(1);
  expect(unreachable.stderr).toMatch(/msg="console: connect .*nobody\.sock: No such file or directory"\n$/);
  for (const id of ['t-nosock', 't-noterm', 't-nobody']) expect(existsSync(join(harness.root, id))).toBe(false);
});
