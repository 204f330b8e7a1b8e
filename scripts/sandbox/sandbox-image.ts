// Assembles the sandbox VM's boot image: the host's Debian kernel and a busybox initramfs that mounts the host's root.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveEntry, newcArchive } from './newc-archive';

/** Modules the init loads before it can reach the host root (virtio, 9p) and the devices the tests need. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'kvm_amd', 'kvm_intel', 'tun', 'veth', 'bridge'];

const BUSYBOX = '/bin/busybox';

export class SandboxSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxSetupError';
  }
}

export interface SandboxKernel {
  version: string;
  vmlinuz: string;
}

/** Finds the newest /boot/vmlinuz-* whose modules are installed. */
export function findKernel(): SandboxKernel {
  const candidates = existsSync('/boot')
    ? readdirSync('/boot')
        .filter((name) => name.startsWith('vmlinuz-'))
        .map((name) => ({ version: name.slice('vmlinuz-'.length), vmlinuz: join('/boot', name) }))
        .filter((k) => existsSync(join('/lib/modules', k.version)))
        .sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }))
    : [];
  const kernel = candidates[0];
  if (!kernel) {
    throw new SandboxSetupError(
      'no kernel for the sandbox VM: /boot/vmlinuz-* with /lib/modules/<version> not found (apt-get install linux-image-amd64)',
    );
  }
  return kernel;
}

/** Module files in load order (dependencies first), as `modprobe --show-depends` reports them for `version`. */
export function moduleLoadOrder(version: string, modules: readonly string[]): string[] {
  const ordered: string[] = [];
  for (const module of modules) {
    let out: string;
    try {
      out = execFileSync('modprobe', ['-S', version, '--show-depends', module], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch {
      continue; // e.g. kvm_intel on a kernel built without it: the other vendor module covers the CPU
    }
    for (const line of out.split('\n')) {
      const match = /^insmod (\S+)/.exec(line.trim());
      if (match && !ordered.includes(match[1])) ordered.push(match[1]);
    }
  }
  if (!ordered.some((path) => path.includes('/9p.ko'))) {
    throw new SandboxSetupError(`kernel ${version} has no 9p module: cannot mount the host root in the sandbox VM`);
  }
  return ordered;
}

export interface SandboxJob {
  /** argv of the command to run inside the VM, in `cwd`, under the host's root filesystem. */
  command: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /**
   * A host path the VM rewrites every 30 s with its process list (pid, parent, state, age, wait channel, command):
   * what a run that hangs was waiting on, read from the host while it runs or printed when it times out.
   */
  processSnapshot?: string;
}

export const STATUS_MARKER = '@@runcc-sandbox-status=';
export const BEGIN_MARKER = '@@runcc-sandbox-begin@@';

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function initScript(modules: readonly string[]): string {
  // Runs as pid 1 inside the VM. Everything host-visible happens under /mnt (the host's root over 9p);
  // sockets and FIFOs cannot live on 9p, so /run and /dev/shm are tmpfs there.
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /mnt
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ${modules.map((m) => m.replace(/^\//, '/modules/')).join(' ')}; do insmod "$m" 2>/dev/null; done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose host /mnt; then
  echo "sandbox: cannot mount the host root over 9p"; poweroff -f
fi
mount -t proc proc /mnt/proc
mount -t sysfs sys /mnt/sys
mount -t devtmpfs dev /mnt/dev
mkdir -p /mnt/dev/pts /mnt/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /mnt/dev/pts
mount -t tmpfs tmpfs /mnt/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /mnt/run
mount -t cgroup2 cgroup2 /mnt/sys/fs/cgroup 2>/dev/null
ln -sf /proc/self/fd /mnt/dev/fd
ln -sf /proc/self/fd/0 /mnt/dev/stdin
ln -sf /proc/self/fd/1 /mnt/dev/stdout
ln -sf /proc/self/fd/2 /mnt/dev/stderr
mkdir -p /mnt/run/sandbox
cp /sandbox/job.sh /mnt/run/sandbox/job.sh
echo /sbin/modprobe-host > /proc/sys/kernel/modprobe
ip link set lo up 2>/dev/null
echo "${BEGIN_MARKER}"
chroot /mnt /bin/sh /run/sandbox/job.sh </dev/null
status=$?
sync
echo "${STATUS_MARKER}$status"
poweroff -f
`;
}

// The kernel runs this for module autoload; the real modprobe and the module tree live in the host root.
const MODPROBE_HOST = `#!/bin/busybox sh
exec /bin/busybox chroot /mnt /sbin/modprobe "$@"
`;

function jobScript(job: SandboxJob): string {
  const exports = Object.entries(job.env)
    .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n');
  const snapshot = job.processSnapshot
    ? `(while sleep 30; do ps -eo pid,ppid,stat,etime,wchan:28,args > ${shellQuote(`${job.processSnapshot}.new`)} 2>&1 && sync ${shellQuote(`${job.processSnapshot}.new`)} && mv ${shellQuote(`${job.processSnapshot}.new`)} ${shellQuote(job.processSnapshot)}; done) </dev/null >/dev/null 2>&1 &
`
    : '';
  return `${exports}
cd ${shellQuote(job.cwd)} || exit 125
${snapshot}${job.command.map(shellQuote).join(' ')}
`;
}

/** Builds the initramfs (newc) that runs `job` and reports its exit status on the console. */
export function buildInitramfs(kernel: SandboxKernel, job: SandboxJob): Buffer {
  if (!existsSync(BUSYBOX)) {
    throw new SandboxSetupError(`${BUSYBOX} not found (apt-get install busybox-static)`);
  }
  const modules = moduleLoadOrder(kernel.version, BOOT_MODULES);
  const entries: ArchiveEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'sbin' },
    { kind: 'dir', path: 'sandbox' },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'init', data: Buffer.from(initScript(modules)), mode: 0o755 },
    { kind: 'file', path: 'sbin/modprobe-host', data: Buffer.from(MODPROBE_HOST), mode: 0o755 },
    { kind: 'file', path: 'sandbox/job.sh', data: Buffer.from(jobScript(job)), mode: 0o644 },
  ];
  const dirs = new Set<string>();
  for (const module of modules) {
    const target = `modules${module}`;
    const parts = target.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ kind: 'dir', path: dir });
      }
    }
    entries.push({ kind: 'file', path: target, data: readFileSync(module) });
  }
  return newcArchive(entries);
}
