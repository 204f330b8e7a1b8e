// The Debian packages runcc's build, sandbox VM and tests need, and which of them this machine lacks. Pure: the
// machine is read through a HostView (dpkg's status file, commands on PATH), so tests can hand it a fake one.

/** What the packages are for; `npm run demo` needs less than `npm test`. */
export type SetupScope = 'demo' | 'test';

export interface HostPackage {
  name: string;
  /** A command that, when present, satisfies the need even without the package (e.g. a gcc built from source). */
  command?: string;
  why: string;
  /** Needed only where the host has no hardware-backed /dev/kvm, i.e. where the sandbox VM runs the KVM part. */
  sandboxOnly?: boolean;
  /** Needed by `npm test` but not by `npm run demo`. */
  testOnly?: boolean;
}

export const HOST_PACKAGES: readonly HostPackage[] = [
  { name: 'gcc', command: 'gcc', why: 'builds the example unikernels' },
  { name: 'make', command: 'make', why: 'builds the example unikernels' },
  { name: 'libc6-dev', why: 'C headers and libc.a for the test fixtures', testOnly: true },
  { name: 'qemu-system-x86', why: 'the sandbox VM', sandboxOnly: true },
  { name: 'linux-image-amd64', why: "the sandbox VM's kernel", sandboxOnly: true },
  { name: 'busybox-static', why: "the sandbox VM's init", sandboxOnly: true },
  { name: 'kmod', command: 'modprobe', why: "the sandbox VM's module list", sandboxOnly: true },
  { name: 'iproute2', command: 'ip', why: 'network tests (ip, tc)', testOnly: true },
  { name: 'iputils-ping', command: 'ping', why: 'network tests', testOnly: true },
  { name: 'zstd', command: 'zstd', why: 'image tests (zstd layers)', testOnly: true },
  // Engine tests run these daemons themselves, inside the sandbox VM or the test's own directories.
  { name: 'docker.io', why: 'engine tests (dockerd)', testOnly: true },
  { name: 'containerd', why: 'engine tests (containerd, ctr)', testOnly: true },
  { name: 'runc', why: 'engine tests and delegated containers', testOnly: true },
  { name: 'containernetworking-plugins', why: 'engine tests (CNI bridge)', testOnly: true },
];

export interface HostView {
  /** Package names dpkg reports as installed. */
  installed: ReadonlySet<string>;
  hasCommand(name: string): boolean;
  /** True when /dev/kvm is hardware-backed, so the sandbox VM is not needed. */
  hardwareKvm: boolean;
}

/** Names of the packages dpkg's status file (/var/lib/dpkg/status) lists as installed. */
export function installedPackages(statusFile: string): Set<string> {
  const installed = new Set<string>();
  for (const stanza of statusFile.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const status = /^Status:\s*(.+)$/m.exec(stanza)?.[1].trim().split(/\s+/);
    // "install ok installed", "hold ok installed"; "deinstall ok config-files" and half-installed ones do not count.
    if (name && status?.[2] === 'installed') installed.add(name);
  }
  return installed;
}

/** The packages `scope` needs that this host lacks, in install order. */
export function missingPackages(scope: SetupScope, host: HostView, packages: readonly HostPackage[] = HOST_PACKAGES): HostPackage[] {
  return packages.filter((pkg) => {
    if (pkg.testOnly && scope !== 'test') return false;
    if (pkg.sandboxOnly && host.hardwareKvm) return false;
    if (host.installed.has(pkg.name)) return false;
    return !(pkg.command && host.hasCommand(pkg.command));
  });
}

/** The apt-get command lines that install `packages` without questions (update first: a fresh machine has no lists). */
export function aptCommands(packages: readonly HostPackage[]): string[][] {
  return [
    ['apt-get', 'update', '-q'],
    ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages.map((pkg) => pkg.name)],
  ];
}
