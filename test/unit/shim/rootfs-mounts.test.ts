// The task's rootfs mount: whether it is there is read from /proc/self/mountinfo, and unmountRootfs takes it away.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMountPoint, unmountRootfs } from '../../../src/shim/rootfs-mounts';

const MOUNTINFO = [
  '22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '431 29 0:52 / /run/containerd/io.containerd.runtime.v2.task/default/a\\040b/rootfs rw,relatime - overlay overlay rw,lowerdir=/x',
  '',
].join('\n');

test('a mount point is the fifth field of mountinfo, its octal escapes decoded', () => {
  expect(isMountPoint('/proc', MOUNTINFO)).toBe(true);
  expect(isMountPoint('/run/containerd/io.containerd.runtime.v2.task/default/a b/rootfs', MOUNTINFO)).toBe(true);
  expect(isMountPoint('/run/containerd/io.containerd.runtime.v2.task/default/a\\040b/rootfs', MOUNTINFO)).toBe(false);
  expect(isMountPoint('/', MOUNTINFO)).toBe(false);
  expect(isMountPoint('0:21', MOUNTINFO)).toBe(false);
});

// Mounting needs root, as the shim has.
(process.getuid?.() === 0 ? test : test.skip)('unmountRootfs takes away what is mounted on <bundle>/rootfs, twice over too', () => {
  const bundle = mkdtempSync(join(tmpdir(), 'runcc-rootfs-'));
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(rootfs);
  try {
    execFileSync('mount', ['-t', 'tmpfs', 'runcc-test', rootfs]);
    execFileSync('mount', ['-t', 'tmpfs', 'runcc-test', rootfs]);
    expect(isMountPoint(rootfs)).toBe(true);
    unmountRootfs(bundle);
    expect(isMountPoint(rootfs)).toBe(false);
    unmountRootfs(bundle);
    unmountRootfs(join(bundle, 'missing'));
  } finally {
    execFileSync('sh', ['-c', `umount ${rootfs} 2>/dev/null; umount ${rootfs} 2>/dev/null; true`]);
    rmSync(bundle, { recursive: true, force: true });
  }
});
