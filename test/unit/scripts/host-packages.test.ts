import { HOST_PACKAGES, HostView, aptCommands, installedPackages, missingPackages } from '../../../scripts/setup/host-packages';

const DPKG_STATUS = `Package: gcc
Status: install ok installed
Version: 4:12.2.0-3

Package: qemu-system-x86
Status: deinstall ok config-files
Version: 1:7.2+dfsg-7

Package: make
Status: hold ok installed

Package: zstd
Status: install ok half-installed
`;

function host(installed: string[], commands: string[] = [], hardwareKvm = false): HostView {
  return { installed: new Set(installed), hasCommand: (name) => commands.includes(name), hardwareKvm };
}

test('dpkg status: only fully installed packages count (removed-with-config and half-installed do not)', () => {
  expect([...installedPackages(DPKG_STATUS)].sort()).toEqual(['gcc', 'make']);
});

test('a fresh machine with gcc and make gets the sandbox packages for the demo, and everything else for the tests', () => {
  const fresh = host([...installedPackages(DPKG_STATUS)]);
  expect(missingPackages('demo', fresh).map((p) => p.name)).toEqual(['qemu-system-x86', 'linux-image-amd64', 'busybox-static', 'kmod']);
  expect(missingPackages('test', fresh).map((p) => p.name)).toEqual(
    HOST_PACKAGES.map((p) => p.name).filter((name) => name !== 'gcc' && name !== 'make'),
  );
});

test('hardware KVM needs no sandbox packages; a command on PATH stands in for its package', () => {
  const names = missingPackages('test', host(['gcc', 'make'], ['ip', 'ping', 'zstd'], true)).map((p) => p.name);
  expect(names).toEqual(['libc6-dev', 'docker.io', 'containerd', 'runc', 'containernetworking-plugins']);
});

test('a machine with everything installed needs nothing', () => {
  expect(missingPackages('test', host(HOST_PACKAGES.map((p) => p.name)))).toEqual([]);
});

test('apt runs non-interactively, without recommends, after updating its lists', () => {
  expect(aptCommands(missingPackages('demo', host(['gcc', 'make', 'qemu-system-x86', 'kmod'])))).toEqual([
    ['apt-get', 'update', '-q'],
    ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'linux-image-amd64', 'busybox-static'],
  ]);
});
