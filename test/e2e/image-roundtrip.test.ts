// Images on real KVM: `runcc image build` → `runcc image unpack` → `runcc run`, through the CLI as a user types it;
// the disk image travels inside the container image and the guest reads and writes it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNCC, SLOWDOWN, unikernel } from './monitor-process';
import { RuntimeHarness } from './runtime-harness';

jest.setTimeout(60_000 * SLOWDOWN);

const harness = new RuntimeHarness();
afterAll(() => harness.cleanup());

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUNCC, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('hello: built, unpacked and run; the guest gets the image’s Cmd; rebuilding gives the same bytes', () => {
  const image = join(harness.work, 'hello.tar');
  const built = cli(['image', 'build', unikernel('hello'), '--arg', 'from', '--arg', 'an image', '-t', 'hello:e2e', '-o', image]);
  expect(built).toMatchObject({ status: 0, stderr: '' });
  expect(built.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  const again = join(harness.work, 'hello-again.tar');
  expect(cli(['image', 'build', unikernel('hello'), '--arg', 'from', '--arg', 'an image', '-t', 'hello:e2e', '-o', again]).stdout).toBe(built.stdout);
  expect(readFileSync(again).equals(readFileSync(image))).toBe(true);

  const bundle = join(harness.work, 'hello-bundle');
  expect(cli(['image', 'unpack', image, '--bundle', bundle])).toEqual({ status: 0, stdout: '', stderr: '' });
  const run = harness.runcc(['run', '--bundle', bundle, 'img-hello']);
  expect(run).toEqual({ status: 0, stdout: "Hello from a runcc unikernel!\nCommand line: 'from an image'\n", stderr: '' });
});

test('block-tester with its disk inside the image: the guest’s writes land in the bundle’s copy', () => {
  const disk = join(harness.work, 'disk.img');
  writeFileSync(disk, Buffer.alloc(1024 * 1024));
  const image = join(harness.work, 'blocks.tar');
  expect(cli(['image', 'build', unikernel('block-tester'), '--block', `storage=${disk}`, '-t', 'blocks', '-o', image]).status).toBe(0);
  const bundle = join(harness.work, 'blocks-bundle');
  expect(cli(['image', 'unpack', image, '--bundle', bundle]).status).toBe(0);
  const run = harness.runcc(['run', '--bundle', bundle, 'img-blocks']);
  expect(run.stdout).toContain('SUCCESS\n');
  expect(run.status).toBe(0);
  expect(readFileSync(join(bundle, 'rootfs/blocks/storage')).equals(Buffer.alloc(1024 * 1024))).toBe(false);
});

test('a kernel that is not a unikernel, and a block device it does not declare, are refused', () => {
  const notKernel = join(harness.work, 'not-a-kernel');
  writeFileSync(notKernel, '#!/bin/sh\n');
  expect(cli(['image', 'build', notKernel, '-t', 'x', '-o', join(harness.work, 'x.tar')])).toEqual({
    status: 1,
    stdout: '',
    stderr: `runcc: ${notKernel}: not a Solo5 hvt unikernel for x86_64\n`,
  });
  expect(cli(['image', 'build', unikernel('hello'), '--block', `disk=${notKernel}`, '-t', 'x', '-o', join(harness.work, 'x.tar')]).stderr).toBe(
    'runcc: --block disk: hello.hvt declares no block device disk\n',
  );
});
