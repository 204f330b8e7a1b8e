// The soak: many create/start/kill/delete cycles of a networked unikernel container, several at once, each in a
// network namespace of its own wired like docker's (a veth pair, eth0 with an address) and in a cgroup of its own.
// Each cycle proves the guest answered a ping; afterwards nothing runcc made may remain (state directories, TAPs,
// redirects, cgroups, mounts, monitor processes), and the monitors' memory must not grow from the first cycles to
// the last. Used by `npm run soak` (scripts/soak.ts) and, shortened, by the end-to-end suite.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const RUNCC = join(ROOT, 'dist/cli/main.js');
const KERNEL = join(ROOT, 'bundle-examples/build/net-responder.hvt');
const CGROUP_PARENT = 'runcc-soak';

export interface SoakOptions {
  cycles: number;
  parallel: number;
  /** Where progress lines go; nothing when undefined. */
  log?: (line: string) => void;
}

export interface SoakReport {
  cycles: number;
  failures: string[];
  leftovers: string[];
  wallSeconds: number;
  /** Mean RSS (KiB) of the monitors in the first and the last tenth of the cycles, read while the guest ran. */
  rssFirstKiB: number;
  rssLastKiB: number;
}

interface Ran {
  status: number | null;
  output: string;
}

let outputs = 0;

/**
 * Runs a command to its exit. Its output goes to a file, not a pipe: `create` hands its stdio to the container's
 * monitor, which outlives it, so a pipe would stay open as long as the container runs.
 */
function run(argv: string[], workDir: string): Promise<Ran> {
  const file = join(workDir, `out${++outputs}`);
  const fd = openSync(file, 'w');
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const finish = (status: number | null, error?: string): void => {
      const output = error ?? readFileSync(file, 'utf8');
      rmSync(file, { force: true });
      resolve({ status, output });
    };
    child.on('error', (error) => finish(null, error.message));
    child.on('exit', (status) => finish(status));
  });
}

/** A network namespace with eth0 (10.99.SLOT.2/24) whose veth peer on the host has 10.99.SLOT.1/24. */
function makeSlot(tag: string, slot: number): { ns: string; address: string } {
  const ns = `${tag}-${slot}`;
  const host = `rccsk${process.pid % 10000}x${slot}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  execFileSync('ip', ['addr', 'add', `10.99.${slot}.1/24`, 'dev', host]);
  execFileSync('ip', ['link', 'set', host, 'up']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', ns, 'addr', 'add', `10.99.${slot}.2/24`, 'dev', 'eth0']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  return { ns, address: `10.99.${slot}.2` };
}

function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Each thread of `pid` with its state, kernel wait channel and syscall, for a failure that says where it was stuck. */
function threadStates(pid: number): string {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return `pid ${pid} is gone`;
  }
  return tids
    .map((tid) => {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      const syscall = read(`/proc/${pid}/task/${tid}/syscall`).split(' ')[0];
      return `${read(`/proc/${pid}/task/${tid}/comm`)}:${state}:${read(`/proc/${pid}/task/${tid}/wchan`)}:sys${syscall}`;
    })
    .join(' ');
}

async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What runcc may have left on this machine and in the slots' namespaces. */
function leftovers(root: string, slots: readonly { ns: string }[]): string[] {
  const found: string[] = [];
  if (existsSync(root) && readdirSync(root).length > 0) found.push(`state directories: ${readdirSync(root).join(', ')}`);
  const links = (ns?: string): string[] =>
    (JSON.parse(execFileSync('ip', [...(ns ? ['-n', ns] : []), '-json', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[])
      .map((l) => l.ifname)
      .filter((name) => /^rcc[0-9a-f]{8}n\d+$/.test(name));
  for (const ns of [undefined, ...slots.map((s) => s.ns)]) {
    const taps = links(ns);
    if (taps.length > 0) found.push(`TAPs in ${ns ?? 'the host'}: ${taps.join(', ')}`);
  }
  for (const { ns } of slots) {
    const filters = execFileSync('ip', ['netns', 'exec', ns, 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress'], { encoding: 'utf8' });
    if (filters.includes('mirred')) found.push(`a redirect on eth0 in ${ns}`);
  }
  const cgroups = join('/sys/fs/cgroup', CGROUP_PARENT);
  if (existsSync(cgroups)) {
    const children = readdirSync(cgroups, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    if (children.length > 0) found.push(`cgroups: ${children.join(', ')}`);
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((line) => line.includes(root));
  if (mounts.length > 0) found.push(`mounts: ${mounts.join('; ')}`);
  const monitors = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root);
    } catch {
      return false;
    }
  });
  if (monitors.length > 0) found.push(`processes: ${monitors.join(', ')}`);
  return found;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const tag = `runcc-soak-${process.pid}`;
  const root = `/run/${tag}`;
  const work = mkdtempSync('/run/runcc-soak-work-');
  const slots = Array.from({ length: options.parallel }, (_, slot) => makeSlot(tag, slot));
  const failures: string[] = [];
  const rss: number[] = new Array(options.cycles).fill(0);
  const started = Date.now();
  let nextCycle = 0;

  const bundleFor = (cycle: number, ns: string): string => {
    const dir = join(work, `bundle${cycle}`);
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
    copyFileSync(KERNEL, join(dir, 'rootfs/unikernel.hvt'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        ociVersion: '1.2.0',
        root: { path: 'rootfs' },
        process: { args: ['/unikernel.hvt'], cwd: '/', env: [] },
        linux: {
          namespaces: [{ type: 'network', path: `/var/run/netns/${ns}` }],
          cgroupsPath: `/${CGROUP_PARENT}/soak${cycle}`,
          resources: { memory: { limit: 64 * 1024 * 1024 } },
        },
      }),
    );
    return dir;
  };

  const oneCycle = async (cycle: number, slot: { ns: string; address: string }): Promise<void> => {
    const id = `soak${cycle}`;
    const bundle = bundleFor(cycle, slot.ns);
    const runcc = (...args: string[]): Promise<Ran> => run([process.execPath, RUNCC, '--root', root, ...args], work);
    try {
      const created = await runcc('create', '--bundle', bundle, id);
      if (created.status !== 0) throw new Error(`create: ${created.output}`);
      const state = JSON.parse((await runcc('state', id)).output) as { pid: number };
      const startedRun = await runcc('start', id);
      if (startedRun.status !== 0) throw new Error(`start: ${startedRun.output}`);
      // The guest answers for eth0's address once it has taken it over.
      await waitFor('the guest to answer ping', async () => (await run(['ping', '-c', '1', '-W', '1', slot.address], work)).status === 0, 120_000);
      rss[cycle] = rssKiB(state.pid);
      const killed = await runcc('kill', id, 'SIGTERM');
      if (killed.status !== 0) throw new Error(`kill: ${killed.output}`);
      try {
        await waitFor('the container to stop', async () => JSON.parse((await runcc('state', id)).output).status === 'stopped', 120_000);
      } catch (error) {
        throw new Error(`${(error as Error).message} (monitor ${state.pid}: ${threadStates(state.pid)})`);
      }
      const deleted = await runcc('delete', id);
      if (deleted.status !== 0) throw new Error(`delete: ${deleted.output}`);
    } catch (error) {
      failures.push(`cycle ${cycle}: ${(error as Error).message.trim()}`);
      await runcc('delete', '--force', id);
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  };

  const worker = async (slot: { ns: string; address: string }): Promise<void> => {
    for (let cycle = nextCycle++; cycle < options.cycles; cycle = nextCycle++) {
      await oneCycle(cycle, slot);
      if ((cycle + 1) % 10 === 0) options.log?.(`soak: ${cycle + 1}/${options.cycles} cycles, ${failures.length} failed`);
    }
  };

  try {
    await Promise.all(slots.map(worker));
    const found = leftovers(root, slots);
    const tenth = Math.max(1, Math.floor(options.cycles / 10));
    const mean = (values: number[]): number => {
      const measured = values.filter((v) => v > 0);
      return measured.length ? Math.round(measured.reduce((a, b) => a + b, 0) / measured.length) : 0;
    };
    return {
      cycles: options.cycles,
      failures,
      leftovers: found,
      wallSeconds: (Date.now() - started) / 1000,
      rssFirstKiB: mean(rss.slice(0, tenth)),
      rssLastKiB: mean(rss.slice(-tenth)),
    };
  } finally {
    for (const { ns } of slots) execFileSync('ip', ['netns', 'del', ns]);
    rmSync(work, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
    const cgroups = join('/sys/fs/cgroup', CGROUP_PARENT);
    if (existsSync(cgroups)) {
      for (const entry of readdirSync(cgroups, { withFileTypes: true })) if (entry.isDirectory()) rmdirSync(join(cgroups, entry.name));
      rmdirSync(cgroups);
    }
  }
}
