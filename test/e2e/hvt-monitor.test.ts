// `runcc hvt` on real KVM: example unikernels, hostile guests, options, signals. Messages and exit codes are
// solo5-hvt's (see the Solo5 hvt ABI reference, §5 and §7).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RUNCC, SLOWDOWN, monitorArgv, runMonitor, startMonitor, unikernel } from './monitor-process';

jest.setTimeout(60_000 * SLOWDOWN);

describe('example unikernels', () => {
  test('hello prints its command line and exits 0', async () => {
    const result = await runMonitor([unikernel('hello'), 'Hello_runcc', 'two words']);
    expect(result).toMatchObject({
      status: 0,
      stdout: "Hello from a runcc unikernel!\nCommand line: 'Hello_runcc two words'\n",
      stderr: '',
    });
  });

  test('`runcc hvt` is the same monitor, and `--` ends the options', async () => {
    const result = await runMonitor(['hvt', '--mem=64', '--', unikernel('hello'), '--not-an-option'], RUNCC);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toContain("Command line: '--not-an-option'\n");
  });

  test('an empty command line reaches the guest as an empty string', async () => {
    const result = await runMonitor([unikernel('hello')]);
    expect(result.stdout).toContain("Command line: ''\n");
  });

  test.each([0, 1, 255])('the guest exit status %i becomes the process exit status', async (status) => {
    const result = await runMonitor([unikernel('exitcode'), String(status)]);
    expect(result).toMatchObject({ status, stdout: `exiting with status ${status}\n`, stderr: '' });
  });

  test('WALLTIME advances and POLL with a timeout sleeps about that long', async () => {
    const sleepMs = 300;
    const result = await runMonitor([unikernel('time'), String(sleepMs), '3']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS\n$/);
    const slept = [...result.stdout.matchAll(/slept (\d+) ms \(tsc (\d+) ms\)/g)];
    expect(slept).toHaveLength(3);
    for (const [, wallMs, tscMs] of slept) {
      expect(Number(wallMs)).toBeGreaterThanOrEqual(sleepMs);
      expect(Number(wallMs)).toBeLessThan(sleepMs + 100 * SLOWDOWN);
      // The guest's TSC clock, scaled by the boot info's cpu_cycle_freq, agrees with the host's wall clock.
      expect(Math.abs(Number(tscMs) - Number(wallMs))).toBeLessThanOrEqual(20 * SLOWDOWN);
    }
    expect(result.wallMs).toBeGreaterThanOrEqual(3 * sleepMs);
  });

  test('a hypercall-heavy guest completes every round trip', async () => {
    const result = await runMonitor([unikernel('hypercalls'), '20000']);
    expect(result).toMatchObject({ status: 0, stdout: '20000 hypercalls\n', stderr: '' });
  });
});

describe('signals stop a guest that never exits to the monitor', () => {
  test.each([
    ['SIGTERM', 15],
    ['SIGINT', 2],
  ] as const)('%s: "Exiting on signal %i", status 1, promptly', async (signal, number) => {
    const monitor = startMonitor([unikernel('spin')]);
    await monitor.waitForStdout('spinning\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sentAt = process.hrtime.bigint();
    monitor.child.kill(signal);
    const result = await monitor.result;
    const stopMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
    expect(result).toMatchObject({ status: 1, signal: null, stderr: `runcc-hvt: Exiting on signal ${number}\n` });
    expect(stopMs).toBeLessThan(100 * SLOWDOWN);
  });
});

test('SIGTERM stops a guest blocked writing to a full pipe, promptly', async () => {
  // A FIFO nobody reads: a real pipe, blocking on the monitor's side, full after 64 KiB.
  const dir = mkdtempSync('/run/runcc-e2e-pipe-');
  const fifo = join(dir, 'stdout');
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  try {
    const [program, ...args] = monitorArgv([unikernel('chatter')]);
    const child = spawn(program, args, { stdio: ['ignore', writer, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 1000 * SLOWDOWN));
    expect(child.exitCode).toBeNull(); // still there, blocked on the full pipe
    const sentAt = process.hrtime.bigint();
    child.kill('SIGTERM');
    const status = await exited;
    const stopMs = Number(process.hrtime.bigint() - sentAt) / 1e6;
    expect({ status, stderr }).toEqual({ status: 1, stderr: 'runcc-hvt: Exiting on signal 15\n' });
    expect(stopMs).toBeLessThan(100 * SLOWDOWN);
  } finally {
    closeSync(writer);
    closeSync(reader);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('hostile guests end the monitor with Solo5’s message and status 1', () => {
  test.each([
    ['hostile/bad-pointer', ['puts-data'], /^runcc-hvt: PUTS: Invalid guest access: gpa=0x1ffffff8, sz=64\n$/],
    ['hostile/bad-pointer', ['puts-struct'], /^runcc-hvt: PUTS: Invalid guest access: gpa=0x20001000, sz=16\n$/],
    ['hostile/bad-pointer', ['puts-wrap'], /^runcc-hvt: PUTS: Invalid guest access: gpa=0x200000, sz=18446744073709547519\n$/],
    ['hostile/bad-pointer', ['halt-cookie'], /^runcc-hvt: HALT: Invalid guest access: gpa=0x1ffffff0, sz=512\n$/],
    ['hostile/bad-port', ['out'], /^runcc-hvt: Invalid guest port access: port=0x600\n$/],
    ['hostile/bad-port', ['in'], /^runcc-hvt: Invalid guest port access: port=0x502\n$/],
    ['hostile/bad-port', ['outb'], /^runcc-hvt: Invalid guest port access: port=0x502\n$/],
    ['hostile/bad-hypercall', ['0'], /^runcc-hvt: Invalid guest hypercall: num=0\n$/],
    ['hostile/bad-hypercall', ['4'], /^runcc-hvt: Invalid guest hypercall: num=4\n$/],
    ['hostile/triple-fault', [], /^runcc-hvt: KVM: unhandled exit: exit_reason=0x8, rip=0x[0-9a-f]+\n$/],
    ['hostile/write-text', [], /^runcc-hvt: KVM: host\/guest translation fault: rip=0x[0-9a-f]+\n$/],
    // Arguments inside guest memory that the host maps read-only (text, rodata) or not at all: refused, never a fault.
    ['hostile/bad-protection', ['walltime-text'], /^runcc-hvt: WALLTIME: Invalid guest access: gpa=0x10[0-9a-f]{4}, sz=8\n$/],
    ['hostile/bad-protection', ['walltime-rodata'], /^runcc-hvt: WALLTIME: Invalid guest access: gpa=0x101[0-9a-f]{3}, sz=8\n$/],
    ['hostile/bad-protection', ['puts-noperm'], /^runcc-hvt: PUTS: Invalid guest access: gpa=0x103010, sz=16\n$/],
    ['hostile/bad-protection', ['puts-data-noperm'], /^runcc-hvt: PUTS: Invalid guest access: gpa=0x103000, sz=4\n$/],
    [
      'hostile/wx-segment',
      [],
      /^runcc-hvt: \S+wx-segment\.hvt: invalid executable: phdr\[2\] requests WRITE and EXEC permissions\n$/,
    ],
    [
      'hostile/unattached-device',
      [],
      /^runcc-hvt: Device 'storage' of type BLOCK_BASIC declared but not attached\.\nruncc-hvt: All declared devices must be attached\. See --help for syntax\.\n$/,
    ],
  ])('%s %j', async (name, args, stderr) => {
    const result = await runMonitor([unikernel(name), ...args]);
    expect(result.stderr).toMatch(stderr);
    expect(result).toMatchObject({ status: 1, signal: null, stdout: '' });
  });
});

test('random hypercalls with random pointers, lengths and handles end with a Solo5 message or the guest’s status', async () => {
  const dir = mkdtempSync('/run/runcc-e2e-fuzz-');
  const disk = join(dir, 'disk.img');
  execFileSync('truncate', ['-s', '1M', disk]);
  const solo5Message =
    /^runcc-hvt: ((PUTS|WALLTIME|POLL|BLOCK_READ|BLOCK_WRITE|HALT): Invalid guest access: gpa=0x[0-9a-f]+, sz=\d+|Invalid guest hypercall: num=\d+|Invalid guest port access: port=0x[0-9a-f]+)\n$/;
  const outcomes: string[] = [];
  try {
    for (let seed = 1; seed <= 24; seed++) {
      const r = await runMonitor(['--mem=4', `--block:storage=${disk}`, unikernel('hostile/hypercall-fuzz'), String(seed), '60']);
      const ok = r.signal === null && ((r.status === 1 && solo5Message.test(r.stderr)) || (r.status !== 1 && r.stderr === ''));
      outcomes.push(ok ? (r.stdout.endsWith('survived 60 rounds\n') ? 'survived' : 'ended') : `seed ${seed}: status ${r.status} signal ${r.signal} ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(outcomes.filter((o) => o.startsWith('seed'))).toEqual([]);
  // The seeds are fixed: some runs go through all their rounds, so the fuzzing reaches past the first call.
  expect(outcomes).toContain('survived');
});

describe('guest memory size', () => {
  test('--mem rounds down to 2 MiB with a warning, and the guest still runs', async () => {
    const result = await runMonitor(['--mem=3', unikernel('hello')]);
    expect(result).toMatchObject({ status: 0, stderr: 'runcc-hvt: adjusting memory to 2097152 bytes\n' });
  });

  test('--mem=4096 (the 4 GiB maximum) is accepted; bad pointers are judged against it', async () => {
    const result = await runMonitor(['--mem=4096', unikernel('hostile/bad-pointer'), 'puts-data']);
    expect(result.stderr).toBe('runcc-hvt: PUTS: Invalid guest access: gpa=0xfffffff8, sz=64\n');
    expect(result.status).toBe(1);
  });

  test('--mem=4097 rounds down to the maximum; --mem=4098 is refused', async () => {
    const roundedDown = await runMonitor(['--mem=4097', unikernel('hello')]);
    expect(roundedDown).toMatchObject({ status: 0, stderr: 'runcc-hvt: adjusting memory to 4294967296 bytes\n' });
    const refused = await runMonitor(['--mem=4098', unikernel('hello')]);
    expect(refused).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'runcc-hvt: guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes\n',
    });
  });
});
