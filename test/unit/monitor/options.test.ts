import { locateKernel, parseOptions, usageText } from '../../../src/monitor/options';
import { MonitorError } from '../../../src/monitor/monitor-error';

function errorOf(fn: () => unknown): MonitorError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MonitorError);
    return error as MonitorError;
  }
  throw new Error('no error');
}

describe('pass 1: locateKernel', () => {
  test.each<[string[], ReturnType<typeof locateKernel>]>([
    [['k.hvt'], { kind: 'kernel', index: 0 }],
    [['--mem=64', '--net:a=tap0', 'k.hvt', '--x'], { kind: 'kernel', index: 2 }],
    [['--mem=64', '--', '--k.hvt'], { kind: 'kernel', index: 2 }],
    [['--help', 'k.hvt'], { kind: 'help' }],
    [['--bogus', '--version', 'k.hvt'], { kind: 'version' }],
    [['k.hvt', '--help'], { kind: 'kernel', index: 0 }],
  ])('%j', (argv, expected) => {
    expect(locateKernel(argv)).toEqual(expected);
  });

  test.each([[[]], [['--mem=64']], [['--mem=64', '--']]])('%j: Missing KERNEL operand, with usage', (argv) => {
    const error = errorOf(() => locateKernel(argv));
    expect([error.message, error.exitCode, error.withUsage]).toEqual(['Missing KERNEL operand', 1, true]);
  });
});

describe('pass 2: parseOptions', () => {
  test('defaults: 512 MiB, no devices, guest args after KERNEL', () => {
    expect(parseOptions(['k.hvt', 'a', '--b'], 0)).toEqual({ kernelPath: 'k.hvt', memMiB: 512, guestArgs: ['a', '--b'], blocks: [], nets: [] });
  });

  test('devices and memory', () => {
    const argv = [
      '--mem=64',
      '--block:storage=/tmp/disk.img',
      '--block-sector-size:storage=4096',
      '--net:service0=tap100',
      '--net-mac:service0=02:00:0a:0B:0c:1',
      '--net:service1=@3',
      '--',
      'k.hvt',
    ];
    const config = parseOptions(argv, 7);
    expect(config.memMiB).toBe(64);
    expect(config.blocks).toEqual([{ name: 'storage', path: '/tmp/disk.img', sectorBytes: 4096 }]);
    expect(config.nets).toEqual([
      {
        name: 'service0',
        backend: { kind: 'interface', ifname: 'tap100' },
        option: '--net:service0=tap100',
        mac: Uint8Array.from([2, 0, 10, 11, 12, 1]),
      },
      { name: 'service1', backend: { kind: 'fd', fd: 3 }, option: '--net:service1=@3' },
    ]);
  });

  test.each(['--mem=', '--mem=0', '--mem=-5', '--mem=64k'])('%s: Malformed argument to --mem', (arg) => {
    expect(errorOf(() => parseOptions([arg, 'k'], 1)).message).toBe('Malformed argument to --mem');
  });

  test.each(['--bogus', '-x', '--block:bad-name=/x', '--block:=/x', `--block:${'a'.repeat(68)}=/x`, '--net:a=tap0123456789012345678', '--net-mac:a=02:00:00:00:00'])(
    '%s: Invalid option, with usage',
    (arg) => {
      const error = errorOf(() => parseOptions([arg, 'k'], 1));
      expect([error.message, error.withUsage]).toEqual([`Invalid option: \`${arg}'`, true]);
    },
  );

  test.each(['256', '1000', '0'])('--block-sector-size %s is refused', (size) => {
    expect(errorOf(() => parseOptions([`--block-sector-size:s=${size}`, 'k'], 1)).message).toBe(
      `Block size must be a multiple of 2 greater than or equal 512\nInvalid option: \`--block-sector-size:s=${size}'`,
    );
  });

  test('usage names the program and the compiled-in modules', () => {
    const usage = usageText('runcc-hvt');
    expect(usage.startsWith('usage: runcc-hvt [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n')).toBe(true);
    expect(usage).toContain('Compiled-in modules: core block net\n');
  });
});
