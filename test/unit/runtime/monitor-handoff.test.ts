// The handoff between a launcher and a pre-started monitor: frames, the configure message's checks, and the
// monitor's end over a real socketpair with descriptors (SCM_RIGHTS).
import { closeSync, existsSync, fstatSync, openSync, readlinkSync } from 'node:fs';
import { closeDescriptor, sendWithFds, socketPair } from '../../../src/ffi/fd-passing';
import {
  ConfigureMessage,
  FrameReader,
  HandoffError,
  MAX_FRAME_BYTES,
  encodeFrame,
  parseConfigure,
  parseMonitorMessage,
  receiveConfiguration,
} from '../../../src/runtime/monitor-handoff';

const config = {
  kernelPath: '/bundle/rootfs/unikernel.hvt',
  memMiB: 64,
  guestArgs: ['a', 'b'],
  blocks: [{ name: 'storage', path: '/disk.img', sectorBytes: 512 }],
  nets: [],
  containerId: 'c1',
  netDevices: ['service0'],
  netFormat: 'runcc' as const,
  terminal: false,
  confinement: { user: { uid: 1000, gid: 1000, additionalGids: [10] }, env: { RUNCC_MONITOR_UID: '70000' } },
};
const good: ConfigureMessage = { type: 'configure', stateDir: '/run/runcc/c1', config };

function header(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(length, 0);
  return b;
}

describe('frames', () => {
  test('a frame read back in pieces of any size is the message sent', () => {
    const frame = Buffer.concat([encodeFrame(good), encodeFrame({ type: 'ready' })]);
    for (const step of [1, 3, 7, frame.length]) {
      const reader = new FrameReader();
      const values: unknown[] = [];
      for (let at = 0; at < frame.length; at += step) values.push(...reader.push(frame.subarray(at, at + step)));
      expect(values).toEqual([JSON.parse(JSON.stringify(good)), { type: 'ready' }]);
      expect(reader.buffered).toBe(0);
    }
  });

  test.each([
    ['a zero length', header(0), /a frame of 0 bytes/],
    ['a length over the limit', header(MAX_FRAME_BYTES + 1), /a frame of 65537 bytes/],
    ['a length of 4 GiB - 1', header(0xffffffff), /a frame of 4294967295 bytes/],
    ['a body that is not JSON', Buffer.concat([header(3), Buffer.from('{x}')]), /not JSON/],
  ])('%s is refused at once', (_what, bytes, message) => {
    expect(() => new FrameReader().push(bytes)).toThrow(message);
  });

  test('a message over the limit is refused by the sender', () => {
    expect(() => encodeFrame({ ...good, config: { ...config, guestArgs: ['x'.repeat(MAX_FRAME_BYTES)] } })).toThrow(HandoffError);
  });

  test('a MAC travels as six numbers and comes back as bytes', () => {
    const withMac = { ...good, config: { ...config, nets: [{ name: 'service0', backend: { kind: 'fd' as const, fd: 0 }, mac: new Uint8Array([2, 0, 0, 0, 0, 1]) }] } };
    const [value] = new FrameReader().push(encodeFrame(withMac));
    expect(parseConfigure(value, 1).config.nets[0].mac).toEqual(new Uint8Array([2, 0, 0, 0, 0, 1]));
  });
});

describe('the configure message', () => {
  test('a good one is taken as it is', () => {
    expect(parseConfigure(JSON.parse(JSON.stringify(good)), 0)).toEqual(good);
  });

  const withConfig = (patch: Record<string, unknown>): unknown => ({ ...good, config: { ...config, ...patch } });
  test.each<[string, unknown, number, RegExp]>([
    ['not an object', 'configure', 0, /message: must be an object/],
    ['an array', [good], 0, /message: must be an object/],
    ['another type', { ...good, type: 'ready' }, 0, /message.type: must be "configure"/],
    ['an unknown field', { ...good, extra: 1 }, 0, /message.extra: is not a field/],
    ['no state dir', { ...good, stateDir: undefined }, 0, /message.stateDir: must be a string/],
    ['a relative state dir', { ...good, stateDir: 'run/c1' }, 0, /message.stateDir: must be an absolute path/],
    ['no config', { ...good, config: undefined }, 0, /message.config: must be an object/],
    ['a relative kernel path', withConfig({ kernelPath: 'unikernel.hvt' }), 0, /config.kernelPath: must be an absolute path/],
    ['a kernel path with NUL', withConfig({ kernelPath: '/a\0b' }), 0, /config.kernelPath: must not contain a NUL/],
    ['zero memory', withConfig({ memMiB: 0 }), 0, /config.memMiB: must be an integer from 1/],
    ['fractional memory', withConfig({ memMiB: 1.5 }), 0, /config.memMiB: must be an integer/],
    ['memory as text', withConfig({ memMiB: '64' }), 0, /config.memMiB: must be an integer/],
    ['arguments not strings', withConfig({ guestArgs: [1] }), 0, /config.guestArgs\[0\]: must be a string/],
    ['a block without a name', withConfig({ blocks: [{ path: '/d' }] }), 0, /config.blocks\[0\].name: must be a string/],
    ['a negative sector size', withConfig({ blocks: [{ name: 'b', path: '/d', sectorBytes: -1 }] }), 0, /sectorBytes: must be an integer/],
    ['too many blocks', withConfig({ blocks: Array.from({ length: 65 }, () => ({ name: 'b', path: '/d' })) }), 0, /config.blocks: must have at most 64/],
    ['a TAP fd with no descriptor sent', withConfig({ nets: [{ name: 'n', backend: { kind: 'fd', fd: 0 } }] }), 0, /backend.fd: names a descriptor, and none came/],
    ['a TAP fd past those sent', withConfig({ nets: [{ name: 'n', backend: { kind: 'fd', fd: 1 } }] }), 1, /backend.fd: must be an integer from 0 to 0/],
    ['a TAP MTU of 20', withConfig({ nets: [{ name: 'n', backend: { kind: 'fd', fd: 0, mtu: 20 } }] }), 1, /backend.mtu: must be an integer from 68/],
    ['an MTU for a TAP by name', withConfig({ nets: [{ name: 'n', backend: { kind: 'interface', ifname: 'tap0', mtu: 1500 } }] }), 0, /backend: must be/],
    ['a backend of another kind', withConfig({ nets: [{ name: 'n', backend: { kind: 'file', fd: 0 } }] }), 1, /backend: must be/],
    ['a MAC of five bytes', withConfig({ nets: [{ name: 'n', mac: [1, 2, 3, 4, 5] }] }), 0, /mac: must have 6 bytes/],
    ['a MAC byte of 256', withConfig({ nets: [{ name: 'n', mac: [1, 2, 3, 4, 5, 256] }] }), 0, /mac\[5\]: must be an integer from 0 to 255/],
    ['an unknown net format', withConfig({ netFormat: 'linux' }), 0, /config.netFormat: must be one of/],
    ['terminal as text', withConfig({ terminal: 'yes' }), 0, /config.terminal: must be true or false/],
    ['an empty container id', withConfig({ containerId: '' }), 0, /config.containerId: must not be empty/],
    ['a negative uid', withConfig({ confinement: { user: { uid: -1, gid: 0 }, env: {} } }), 0, /user.uid: must be an integer/],
    ['confinement without env', withConfig({ confinement: { user: { uid: 1, gid: 1 } } }), 0, /confinement.env: must be an object/],
    ['an unknown confinement variable', withConfig({ confinement: { env: { LD_PRELOAD: '/x' } } }), 0, /env.LD_PRELOAD: is not a field/],
    ['stdio with no descriptor sent', { ...good, stdio: [0, 0, 0] }, 0, /message.stdio: names descriptors, and none came/],
    ['stdio of two', { ...good, stdio: [0, 0] }, 1, /message.stdio: must name 3 descriptors/],
    ['stdio past those sent', { ...good, stdio: [0, 1, 0] }, 1, /message.stdio\[1\]: must be an integer from 0 to 0/],
    ['a descriptor nothing uses', good, 1, /descriptor 0 came with the message and nothing uses it/],
  ])('%s is refused, naming the field', (_what, value, fdCount, message) => {
    expect(() => parseConfigure(value, fdCount)).toThrow(HandoffError);
    expect(() => parseConfigure(value, fdCount)).toThrow(message);
  });
});

describe("the monitor's messages", () => {
  test.each([[{ type: 'booted' }], [{ type: 'ready' }], [{ type: 'error', message: 'Could not open: /dev/kvm' }]])('%j is taken', (value) => {
    expect(parseMonitorMessage(value)).toEqual(value);
  });

  test.each<[unknown, RegExp]>([
    [{ type: 'started' }, /message.type: must be "booted", "ready" or "error"/],
    [{ type: 'error' }, /message.message: must be a string/],
    [{ type: 'error', message: '' }, /message.message: must not be empty/],
    [{ type: 'ready', message: 'x' }, /message.message: is not a field of a ready message/],
    [{ type: 'ready', pid: 1 }, /message.pid: is not a field/],
    [null, /message: must be an object/],
  ])('%j is refused', (value, message) => {
    expect(() => parseMonitorMessage(value)).toThrow(message);
  });
});

describe("the monitor's end, over a socketpair", () => {
  const openFds = (): string[] => require('node:fs').readdirSync('/proc/self/fd') as string[];

  test('a configuration with its stdio descriptors arrives whole, in a few writes', () => {
    const [launcher, monitor] = socketPair();
    const devNull = openSync('/dev/null', 'r');
    try {
      const frame = encodeFrame({ ...good, stdio: [0, 0, 0] });
      sendWithFds(launcher, frame.subarray(0, 5), [devNull]);
      sendWithFds(launcher, frame.subarray(5), []);
      const received = receiveConfiguration(monitor);
      expect(received.message.stdio).toEqual([0, 0, 0]);
      expect(received.fds).toHaveLength(1);
      expect(readlinkSync(`/proc/self/fd/${received.fds[0]}`)).toBe('/dev/null');
      expect(fstatSync(received.fds[0]).ino).toBe(fstatSync(devNull).ino);
      closeDescriptor(received.fds[0]);
    } finally {
      closeSync(devNull);
      closeDescriptor(launcher);
      closeDescriptor(monitor);
    }
  });

  test('a launcher that goes away before a whole frame is an error', () => {
    const [launcher, monitor] = socketPair();
    sendWithFds(launcher, encodeFrame(good).subarray(0, 10), []);
    closeDescriptor(launcher);
    expect(() => receiveConfiguration(monitor)).toThrow(/the launcher went away before it sent a configuration/);
    closeDescriptor(monitor);
  });

  test('a bad message is refused and the descriptors that came with it are closed', () => {
    const [launcher, monitor] = socketPair();
    const devNull = openSync('/dev/null', 'r');
    const before = openFds();
    sendWithFds(launcher, encodeFrame({ ...good, stateDir: 'relative' } as ConfigureMessage), [devNull]);
    expect(() => receiveConfiguration(monitor)).toThrow(/message.stateDir: must be an absolute path/);
    expect(openFds()).toEqual(before);
    closeSync(devNull);
    closeDescriptor(launcher);
    closeDescriptor(monitor);
  });

  test('two messages where one configuration is expected are refused', () => {
    const [launcher, monitor] = socketPair();
    sendWithFds(launcher, Buffer.concat([encodeFrame(good), encodeFrame(good)]), []);
    expect(() => receiveConfiguration(monitor)).toThrow(/more than one message/);
    closeDescriptor(launcher);
    closeDescriptor(monitor);
  });

  test('more descriptors than a configuration may carry are refused and closed', () => {
    const [launcher, monitor] = socketPair();
    const devNull = openSync('/dev/null', 'r');
    const before = openFds();
    sendWithFds(launcher, encodeFrame(good), Array.from({ length: 17 }, () => devNull));
    expect(() => receiveConfiguration(monitor)).toThrow(/more than 16 descriptors/);
    expect(openFds()).toEqual(before);
    expect(existsSync('/dev/null')).toBe(true);
    closeSync(devNull);
    closeDescriptor(launcher);
    closeDescriptor(monitor);
  });
});
