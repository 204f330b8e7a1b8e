// The monitor's front end up to the point where it needs KVM: help, version, option and executable errors.
// Every case here fails before /dev/kvm is opened, so it runs anywhere.
import { join } from 'node:path';
import { hvtMain } from '../../../src/monitor/hvt-main';
import { RUNCC_VERSION } from '../../../src/cli/version';

const BUILD = join(__dirname, '../../../bundle-examples/build');
const hello = join(BUILD, 'hello.hvt');
const hostile = (name: string): string => join(BUILD, 'hostile', `${name}.hvt`);

async function run(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const status = await hvtMain(argv, {
    prog: 'runcc-hvt',
    version: RUNCC_VERSION,
    writeStderr: (text) => {
      stderr += text;
    },
    exit: () => {
      throw new Error('exit() is only for signals');
    },
  });
  return { status, stderr };
}

describe('hvtMain before KVM', () => {
  test('--version: version and ABI on stderr, status 0', async () => {
    expect(await run(['--version'])).toEqual({ status: 0, stderr: `runcc-hvt tender, version ${RUNCC_VERSION}\nABI version 2\n` });
    expect(RUNCC_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('--help: usage on stderr, status 1', async () => {
    const result = await run(['--help']);
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith('usage: runcc-hvt [ CORE OPTIONS ]')).toBe(true);
  });

  test('no KERNEL: message then usage, status 1', async () => {
    const result = await run(['--mem=64']);
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith('runcc-hvt: Missing KERNEL operand\nusage: runcc-hvt ')).toBe(true);
  });

  test('unknown option: message then usage, status 1', async () => {
    const result = await run(['--frobnicate', hello]);
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith("runcc-hvt: Invalid option: `--frobnicate'\nusage: runcc-hvt ")).toBe(true);
  });

  test.each<[string, string[], string]>([
    ['a missing kernel', ['/nonexistent/k.hvt'], 'runcc-hvt: /nonexistent/k.hvt: Could not open: No such file or directory\n'],
    ['a directory', ['/'], 'runcc-hvt: /: Could not read: Is a directory\n'],
    [
      'a file that is not ELF',
      [join(__dirname, '../../../package.json')],
      `runcc-hvt: ${join(__dirname, '../../../package.json')}: invalid executable: invalid or unsupported executable (elf header invalid while loading note)\n`,
    ],
    ['a kernel without the ABI note', [hostile('abi-missing')], 'note does not fall within valid size'],
    ['a kernel for another target', [hostile('abi-wrong-target')], `runcc-hvt: ${hostile('abi-wrong-target')}: Executable is not for the solo5-hvt target\n`],
    ['a kernel for another ABI version', [hostile('abi-wrong-version')], `runcc-hvt: ${hostile('abi-wrong-version')}: Executable requests unsupported ABI version 3\n`],
    [
      'an invalid manifest',
      [hostile('invalid-manifest')],
      `runcc-hvt: ${hostile('invalid-manifest')}: Solo5 manifest is invalid: manifest version is 2, expected 1\n`,
    ],
    ['a manifest note shorter than its padding', [hostile('short-manifest-note')], 'note does not fall within valid size'],
    ['--mem=0', ['--mem=0', hello], 'runcc-hvt: Malformed argument to --mem\n'],
    ['a command line over 8191 characters', [hello, 'x'.repeat(8192)], 'runcc-hvt: Guest command line too long (max=8191 characters)\n'],
  ])('%s: message, status 1', async (_what, argv, stderr) => {
    const result = await run(argv);
    expect(result.status).toBe(1);
    if (stderr.endsWith('\n')) expect(result.stderr).toBe(stderr);
    else expect(result.stderr).toContain(stderr);
  });

  test('a device the manifest does not declare: message then usage', async () => {
    const result = await run(['--block:storage=/tmp/disk.img', hello]);
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith("runcc-hvt: Resource not declared in manifest: 'storage'\nusage: ")).toBe(true);
  });

  test('a block device whose backing file cannot be opened', async () => {
    const result = await run(['--block:storage=/nonexistent/disk.img', hostile('unattached-device')]);
    expect(result).toEqual({ status: 1, stderr: 'runcc-hvt: Could not open block device: /nonexistent/disk.img: No such file or directory\n' });
  });

  test.each([
    ['--net:service0=@x', 'Could not attach interface: @x: Invalid argument'],
    ['--net:service0=@99999999999', 'Could not attach interface: @99999999999: Numerical result out of range'],
  ])('%s: message, Invalid option, usage', async (option, message) => {
    const result = await run([option, hello]);
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith(`runcc-hvt: ${message}\nruncc-hvt: Invalid option: \`${option}'\nusage: `)).toBe(true);
  });
});
