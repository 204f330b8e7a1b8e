// Host-side pieces of the monitor that need no KVM: checked guest memory access and the POLL wait set.
import { GuestMemory } from '../../../src/monitor/guest-memory';
import { MonitorError } from '../../../src/monitor/monitor-error';
import { WaitSet } from '../../../src/monitor/wait-set';
import { libc } from '../../../src/ffi/libc';

describe('GuestMemory.check (Solo5 HVT_CHECKED_GPA_P)', () => {
  const memory = new GuestMemory(2 * 1024 * 1024);
  const limit = memory.guestSizeBytes;

  test.each([
    [0, 16],
    [0x100000, 0x1000],
    [limit - 17, 16],
  ])('accepts gpa 0x%s size %i', (address, size) => {
    expect(() => memory.check(address, size, 'PUTS')).not.toThrow();
  });

  test.each([
    [limit - 16, 16, 'an object ending exactly at the top'],
    [limit, 1, 'a start at the top'],
    [0x1000, limit, 'a size as large as memory'],
    [0x1000, 2 ** 64, 'a size that wraps around'],
  ])('refuses gpa 0x%s size %i (%s)', (address, size) => {
    expect(() => memory.check(address, size, 'PUTS')).toThrow(
      new MonitorError(`PUTS: Invalid guest access: gpa=0x${address.toString(16)}, sz=${BigInt(size)}`),
    );
  });

  test('a refused (data, len) pair from the guest is quoted exactly, even above 2^53', () => {
    memory.data.setBigUint64(0x3000, 0x200000n, true);
    memory.data.setBigUint64(0x3008, 0xffffffffffffefffn, true);
    expect(() => memory.check(0x200000, 2 ** 64, 'PUTS', 0x3000)).toThrow(
      new MonitorError('PUTS: Invalid guest access: gpa=0x200000, sz=18446744073709547519'),
    );
  });

  test('views see the same bytes as the mapping', () => {
    memory.data.setUint32(0x2000, 0xdeadbeef, true);
    expect(memory.bytes[0x2000]).toBe(0xef);
    expect(memory.hostBase).toBeGreaterThan(0);
  });
});

describe('WaitSet', () => {
  test('a timeout with no devices sleeps that long and reports nothing ready', () => {
    const waitSet = new WaitSet();
    const started = process.hrtime.bigint();
    waitSet.begin(50_000_000);
    let ready = waitSet.wait();
    while (ready < 0) ready = waitSet.wait(); // a stray signal: the deadline stays
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ready).toBe(0);
    expect([waitSet.readyLow, waitSet.readyHigh]).toEqual([0, 0]);
    expect(elapsedMs).toBeGreaterThanOrEqual(49);
    expect(elapsedMs).toBeLessThan(1000);
  });

  test('a zero timeout still fires', () => {
    const waitSet = new WaitSet();
    waitSet.begin(0);
    expect(waitSet.wait()).toBe(0);
  });

  test('a readable fd ends the wait at once with its handle; a wait resumed after an interruption keeps its deadline', () => {
    const waitSet = new WaitSet();
    const eventFd = libc.eventfd(1, 0);
    waitSet.add(eventFd, 33);
    waitSet.begin(10_000_000_000);
    expect(waitSet.wait()).toBe(1);
    expect([waitSet.readyLow, waitSet.readyHigh]).toEqual([0, 2]);
    libc.close(eventFd);
  });
});
