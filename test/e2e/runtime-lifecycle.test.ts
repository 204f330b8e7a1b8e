// The OCI lifecycle on real KVM: runcc as the containerd shim and dockerd call it (create, start, state, kill,
// delete, run), with real network namespaces, hooks and pid files. runc's error strings are asserted exactly.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNCC, SLOWDOWN, startProcess } from './monitor-process';
import { RUNCC_CALL_TIMEOUT_MS, Result, RuntimeHarness, waitUntil } from './runtime-harness';

jest.setTimeout(20_000 * SLOWDOWN);

const harness = new RuntimeHarness();
const { root, work } = harness;
const runcc = harness.runcc.bind(harness);
const bundle = harness.bundle.bind(harness);
const state = harness.state.bind(harness);

afterAll(() => harness.cleanup());

test('create → created (pid alive, pid file) → start → output and exit → stopped → delete', async () => {
  const dir = bundle('hello', ['Hello', 'OCI']);
  const pidFile = join(dir, 'init.pid');
  // create's stdio is the container's: run it as a process whose stdout we keep reading after create returns.
  const creator = startProcess([process.execPath, RUNCC, '--root', root, 'create', '--bundle', dir, '--pid-file', pidFile, 'c-life']);
  await waitUntil(() => existsSync(pidFile), 30_000 * SLOWDOWN);
  const pidText = readFileSync(pidFile, 'utf8');
  expect(pidText).toMatch(/^\d+$/);
  const created = state('c-life');
  expect(created).toMatchObject({ ociVersion: '1.2.1', id: 'c-life', status: 'created', bundle: dir, rootfs: join(dir, 'rootfs'), annotations: {} });
  expect(created.pid).toBe(Number(pidText));
  expect(existsSync(`/proc/${created.pid}`)).toBe(true);

  expect(runcc(['start', 'c-life'])).toMatchObject({ status: 0, stdout: '', stderr: '' });
  const output = await creator.result;
  expect(output.stdout).toBe("Hello from a runcc unikernel!\nCommand line: 'Hello OCI'\n");
  await waitUntil(() => state('c-life').status === 'stopped', 10_000 * SLOWDOWN);
  expect(state('c-life').pid).toBe(0);
  expect(runcc(['start', 'c-life']).stderr).toContain('cannot start a container that has stopped');
  expect(runcc(['delete', 'c-life'])).toMatchObject({ status: 0, stderr: '' });
  expect(existsSync(join(root, 'c-life'))).toBe(false);
  expect(runcc(['state', 'c-life'])).toMatchObject({ status: 1, stdout: '' });
});

test('run: foreground, the guest exit status is runcc’s, and the container is gone afterwards', () => {
  const r = runcc(['run', '--bundle', bundle('exitcode', ['7']), 'c-run']);
  expect(r).toMatchObject({ status: 7, stdout: 'exiting with status 7\n' });
  expect(existsSync(join(root, 'c-run'))).toBe(false);
});

test('the monitor runs in a new network namespace when the spec asks for one without a path', async () => {
  const dir = bundle('spin', []);
  expect(runcc(['create', '--bundle', dir, 'c-netns']).status).toBe(0);
  const pid = state('c-netns').pid;
  const readlink = (path: string): string => spawnSync('readlink', [path], { encoding: 'utf8' }).stdout.trim();
  expect(readlink(`/proc/${pid}/ns/net`)).not.toBe(readlink('/proc/self/ns/net'));
  expect(readlink(`/proc/${pid}/ns/uts`)).not.toBe(readlink('/proc/self/ns/uts'));
  expect(readlink(`/proc/${pid}/ns/ipc`)).toBe(readlink('/proc/self/ns/ipc'));
  expect(runcc(['delete', 'c-netns']).status).toBe(0);
  expect(existsSync(`/proc/${pid}`)).toBe(false);
});

test('kill stops a spinning guest; delete refuses a running container without --force', async () => {
  const dir = bundle('spin', []);
  expect(runcc(['create', '--bundle', dir, 'c-kill']).status).toBe(0);
  expect(runcc(['start', 'c-kill']).status).toBe(0);
  expect(state('c-kill').status).toBe('running');
  expect(runcc(['start', 'c-kill']).stderr).toContain('cannot start an already running container');
  expect(runcc(['delete', 'c-kill'])).toMatchObject({ status: 1, stderr: expect.stringContaining('cannot delete container c-kill that is not stopped: running') });
  expect(runcc(['kill', 'c-kill', 'TERM'])).toMatchObject({ status: 0, stderr: '' });
  await waitUntil(() => state('c-kill').status === 'stopped', 5_000 * SLOWDOWN);
  expect(runcc(['kill', 'c-kill', '15']).stderr).toContain('container not running');
  expect(runcc(['kill', '--all', 'c-kill', '9']).status).toBe(0);
  expect(runcc(['delete', 'c-kill']).status).toBe(0);
});

test('delete --force kills a running container; pause and resume stop and continue it', async () => {
  expect(runcc(['run', '--detach', '--bundle', bundle('spin', []), 'c-force']).status).toBe(0);
  expect(state('c-force').status).toBe('running');
  expect(runcc(['pause', 'c-force']).status).toBe(0);
  await waitUntil(() => state('c-force').status === 'paused', 5_000 * SLOWDOWN);
  expect(runcc(['resume', 'c-force'])).toMatchObject({ status: 0, stderr: '' });
  await waitUntil(() => state('c-force').status === 'running', 5_000 * SLOWDOWN);
  expect(JSON.parse(runcc(['list', '--format', 'json']).stdout).map((s: { id: string }) => s.id)).toContain('c-force');
  const pid = state('c-force').pid;
  expect(runcc(['delete', '--force', 'c-force'])).toMatchObject({ status: 0, stderr: '' });
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  expect(existsSync(join(root, 'c-force'))).toBe(false);
  expect(runcc(['delete', '--force', 'c-force']).status).toBe(0);
  expect(runcc(['delete', 'c-force'])).toMatchObject({ status: 1, stderr: expect.stringContaining('container does not exist') });
});

test('the monitor runs in linux.cgroupsPath with linux.resources applied, charged from its start; delete removes it', () => {
  const parent = `/sys/fs/cgroup/runcc-e2e-${process.pid}`;
  const limit = 96 * 1024 * 1024;
  const dir = bundle('spin', [], (config) => {
    config.linux.cgroupsPath = `/runcc-e2e-${process.pid}/c-cgroup`;
    config.linux.resources = { memory: { limit }, pids: { limit: 64 }, cpu: { quota: 50_000, period: 100_000 } };
  });
  try {
    expect(runcc(['run', '--detach', '--bundle', dir, 'c-cgroup'])).toMatchObject({ status: 0, stderr: '' });
    const pid = state('c-cgroup').pid;
    const cgroup = join(parent, 'c-cgroup');
    const read = (file: string): string => readFileSync(join(cgroup, file), 'utf8').trim();
    // The monitor, and the kernel threads KVM starts for its VM (they join the cgroup of the VM's creator).
    const procs = read('cgroup.procs').split('\n');
    expect(procs).toContain(String(pid));
    const others = procs.filter((p) => p !== String(pid)).map((p) => readFileSync(`/proc/${p}/stat`, 'utf8'));
    for (const stat of others) expect(stat).toMatch(/^\d+ \(kvm[^)]*\) \S+ 2 /);
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/runcc-e2e-${process.pid}/c-cgroup\n`);
    expect({ memory: read('memory.max'), pids: read('pids.max'), cpu: read('cpu.max') }).toEqual({ memory: String(limit), pids: '64', cpu: '50000 100000' });
    // The monitor joined before node started: its heap and the guest's loaded pages are the container's.
    const current = Number(read('memory.current'));
    const peak = Number(existsSync(join(cgroup, 'memory.peak')) ? read('memory.peak') : current);
    process.stdout.write(`cgroup memory while the guest spins: current ${(current / 2 ** 20).toFixed(1)} MiB, peak ${(peak / 2 ** 20).toFixed(1)} MiB of ${limit / 2 ** 20} MiB (guest RAM ${limit / 2 ** 20 - 32} MiB)\n`);
    expect(current).toBeGreaterThan(8 * 1024 * 1024);
    expect(peak).toBeLessThan(limit);
    expect(runcc(['delete', '--force', 'c-cgroup'])).toMatchObject({ status: 0, stderr: '' });
    expect(existsSync(join(parent, 'c-cgroup'))).toBe(false);
  } finally {
    // After a failed assertion the container may still be there; cgroupfs directories go with rmdir only.
    runcc(['delete', '--force', 'c-cgroup']);
    for (const cgroup of [join(parent, 'c-cgroup'), parent]) {
      try {
        if (existsSync(cgroup)) rmdirSync(cgroup);
      } catch {
        // reported by the assertions above
      }
    }
  }
});

test('a cgroupsPath that climbs out of the hierarchy is refused, leaving nothing', () => {
  const dir = bundle('spin', [], (config) => {
    config.linux.cgroupsPath = '/../../tmp/escape';
  });
  expect(runcc(['create', '--bundle', dir, 'c-escape'])).toMatchObject({
    status: 1,
    stderr: expect.stringContaining('linux.cgroupsPath: \\"/../../tmp/escape\\" must not contain \\"..\\"'),
  });
  expect(existsSync(join(root, 'c-escape'))).toBe(false);
  expect(existsSync('/tmp/escape')).toBe(false);
});

test('a duplicate ID, a bad ID, a missing bundle and a malformed config.json fail and leave nothing behind', () => {
  const dir = bundle('spin', []);
  expect(runcc(['create', '--bundle', dir, 'c-dup']).status).toBe(0);
  expect(runcc(['create', '--bundle', dir, 'c-dup'])).toMatchObject({ status: 1, stderr: expect.stringContaining('container with given ID already exists') });
  expect(runcc(['delete', '--force', 'c-dup']).status).toBe(0);

  expect(runcc(['create', '--bundle', dir, 'bad/id'])).toMatchObject({ status: 1, stderr: expect.stringContaining('invalid container ID format') });
  expect(runcc(['create', '--bundle', join(work, 'nowhere'), 'c-missing'])).toMatchObject({ status: 1, stderr: expect.stringContaining('config.json not found') });
  const broken = bundle('hello', [], (config) => (config.process.args = []));
  expect(runcc(['create', '--bundle', broken, 'c-broken'])).toMatchObject({
    status: 1,
    stderr: expect.stringContaining('config.json: process.args: must be a non-empty array'),
  });
  expect(existsSync(join(root, 'c-missing'))).toBe(false);
  expect(existsSync(join(root, 'c-broken'))).toBe(false);
});

test('errors go to --log as runc JSON lines (and to stderr); the log file exists even on success', () => {
  const logFile = join(work, 'log.json');
  const r = runcc(['--log', logFile, '--log-format', 'json', 'start', 'no-such-container']);
  expect(r).toMatchObject({ status: 1, stdout: '', stderr: 'container does not exist\n' });
  const line = JSON.parse(readFileSync(logFile, 'utf8').trim());
  expect(line).toMatchObject({ level: 'error', msg: 'container does not exist' });
  expect(new Date(line.time).toISOString()).toBe(line.time);
  const quiet = join(work, 'quiet.json');
  expect(runcc(['--log', quiet, '--log-format', 'json', 'features']).status).toBe(0);
  expect(readFileSync(quiet, 'utf8')).toBe('');
});

test('hooks get the state on stdin: prestart and createRuntime at create, poststart at start, poststop at delete', async () => {
  const record = join(work, 'hooks.log');
  const hook = join(work, 'hook.sh');
  writeFileSync(hook, `#!/bin/sh\n{ printf '%s ' "$1"; cat; echo; } >> ${record}\n`);
  chmodSync(hook, 0o755);
  const hooks = Object.fromEntries(
    ['prestart', 'createRuntime', 'poststart', 'poststop'].map((name) => [name, [{ path: hook, args: ['hook.sh', name] }]]),
  );
  const dir = bundle('hello', [], (config) => (config.hooks = hooks));
  expect(runcc(['create', '--bundle', dir, 'c-hooks']).status).toBe(0);
  const pid = state('c-hooks').pid;
  expect(runcc(['start', 'c-hooks']).status).toBe(0);
  await waitUntil(() => state('c-hooks').status === 'stopped', 10_000 * SLOWDOWN);
  expect(runcc(['delete', 'c-hooks']).status).toBe(0);
  const lines = readFileSync(record, 'utf8').trim().split('\n').map((line) => {
    const [name, ...json] = line.split(' ');
    return { name, state: JSON.parse(json.join(' ')) };
  });
  expect(lines.map((l) => [l.name, l.state.status, l.state.pid])).toEqual([
    ['prestart', 'creating', pid],
    ['createRuntime', 'creating', pid],
    ['poststart', 'running', pid],
    ['poststop', 'stopped', 0],
  ]);
  expect(lines[0].state).toMatchObject({ id: 'c-hooks', bundle: dir });
});

test('a failing prestart hook fails create and leaves no container', () => {
  const dir = bundle('spin', [], (config) => (config.hooks = { prestart: [{ path: '/bin/false' }] }));
  const r = runcc(['create', '--bundle', dir, 'c-hookfail']);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('prestart hook /bin/false exited with status 1');
  expect(existsSync(join(root, 'c-hookfail'))).toBe(false);
});

test('a bundle that is not a unikernel goes to runc with identical arguments', () => {
  const fakeRuncLog = join(work, 'runc-args');
  const fakeRunc = join(work, 'runc');
  writeFileSync(fakeRunc, `#!/bin/sh\nprintf '%s\\n' "$@" > ${fakeRuncLog}\nexit 3\n`);
  chmodSync(fakeRunc, 0o755);
  const dir = bundle('hello', []);
  writeFileSync(join(dir, 'rootfs/unikernel.hvt'), '#!/bin/sh\necho not a unikernel\n');
  const r = runcc(['--log-format', 'json', 'create', '--bundle', dir, 'c-runc'], { ...process.env, RUNCC_RUNC: fakeRunc });
  expect(r.status).toBe(3);
  expect(readFileSync(fakeRuncLog, 'utf8').trim().split('\n')).toEqual(['--root', root, '--log-format', 'json', 'create', '--bundle', dir, 'c-runc']);
  const missing = runcc(['create', '--bundle', dir, 'c-runc2'], { ...process.env, RUNCC_RUNC: join(work, 'no-runc') });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain('is not installed to run it; set RUNCC_RUNC to its path');
});

test('spec writes a unikernel template and refuses to overwrite it', () => {
  const dir = join(work, 'spec');
  mkdirSync(dir);
  expect(runcc(['spec', '--bundle', dir]).status).toBe(0);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  expect(config.process.args).toEqual(['/unikernel.hvt']);
  expect(runcc(['spec', '--bundle', dir])).toMatchObject({ status: 1, stderr: expect.stringContaining('File config.json exists. Remove it first') });
});

/** The process is gone, or a zombie not yet reaped by whichever init adopted it. */
function exitedOrZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return true;
  }
}

/** runcc as a child process that does not block the test: stdout/stderr in files (see runcc()). */
function runccAsync(args: string[]): Promise<Result> {
  const { out, err } = harness.outputFiles();
  const outFd = openSync(out, 'w');
  const errFd = openSync(err, 'w');
  const child = spawn(process.execPath, [RUNCC, '--root', root, ...args], { stdio: ['ignore', outFd, errFd] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`runcc ${args.join(' ')}: still running after ${RUNCC_CALL_TIMEOUT_MS / 1000} s; killed`));
    }, RUNCC_CALL_TIMEOUT_MS);
    child.on('exit', (status) => {
      clearTimeout(timer);
      closeSync(outFd);
      closeSync(errFd);
      resolve({ status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') });
    });
  });
}

// One round: the soak test repeats cycles; a second round here doubled the suite's longest test under emulation.
test('20 containers created, started and deleted in parallel leave no state and no monitor behind', async () => {
  const dir = bundle('exitcode', ['0']);
  for (const round of [1]) {
    const ids = Array.from({ length: 20 }, (_, i) => `par-${round}-${i}`);
    const pidFile = (id: string): string => join(work, `${id}.pid`);
    const created = await Promise.all(ids.map((id) => runccAsync(['create', '--bundle', dir, '--pid-file', pidFile(id), id])));
    expect(created.map((r) => r.status)).toEqual(ids.map(() => 0));
    const pids = ids.map((id) => Number(readFileSync(pidFile(id), 'utf8')));
    expect(new Set(pids).size).toBe(20);
    const started = await Promise.all(ids.map((id) => runccAsync(['start', id])));
    expect(started.map((r) => r.status)).toEqual(ids.map(() => 0));
    await waitUntil(() => pids.every(exitedOrZombie), 30_000 * SLOWDOWN);
    const deleted = await Promise.all(ids.map((id) => runccAsync(['delete', id])));
    expect(deleted.map((r) => [r.status, r.stderr])).toEqual(ids.map(() => [0, '']));
    expect(readdirSync(root).filter((name) => name.startsWith(`par-${round}-`))).toEqual([]);
  }
}, 120_000 * SLOWDOWN);

test('start waits for a monitor that has not reached the start gate yet, then the guest runs', async () => {
  const creator = startProcess([process.execPath, RUNCC, '--root', root, 'create', '--bundle', bundle('hello', ['gate']), 'c-gate']);
  await waitUntil(() => existsSync(join(root, 'c-gate', 'runcc.json')) && state('c-gate').status === 'created', 30_000 * SLOWDOWN);
  // Hold the monitor where it is (at the gate or just before it) while start is already waiting.
  const pid = state('c-gate').pid;
  process.kill(pid, 'SIGSTOP');
  const starting = spawn(process.execPath, [RUNCC, '--root', root, 'start', 'c-gate'], { stdio: 'ignore' });
  const started = new Promise<number | null>((resolve) => starting.on('exit', (code) => resolve(code)));
  await new Promise((resolve) => setTimeout(resolve, 500 * SLOWDOWN));
  expect(starting.exitCode).toBeNull();
  process.kill(pid, 'SIGCONT');
  expect(await started).toBe(0);
  expect((await creator.result).stdout).toBe("Hello from a runcc unikernel!\nCommand line: 'gate'\n");
  await waitUntil(() => state('c-gate').status === 'stopped', 10_000 * SLOWDOWN);
  expect(runcc(['delete', 'c-gate']).status).toBe(0);
});

test('while create runs, its container is runcc’s ("creating"); delete --force waits for it, and nothing is left', async () => {
  const creator = startProcess([process.execPath, RUNCC, '--root', root, 'create', '--bundle', bundle('spin', []), 'c-race']);
  // The placeholder appears when the ID is claimed, before the monitor exists.
  await waitUntil(() => existsSync(join(root, 'c-race', 'runcc.json')), 30_000 * SLOWDOWN);
  const during = runcc(['state', 'c-race']);
  expect(during.stderr).toBe('');
  expect(['creating', 'created']).toContain(JSON.parse(during.stdout).status);
  expect(runcc(['create', '--bundle', bundle('spin', []), 'c-race'])).toMatchObject({ status: 1 });
  const deleted = runcc(['delete', '--force', 'c-race']);
  expect(deleted).toMatchObject({ status: 0, stderr: '' });
  await creator.result;
  expect(existsSync(join(root, 'c-race'))).toBe(false);
  const spinning = spawnSync('pgrep', ['-f', join(root, 'c-race')], { encoding: 'utf8' }).stdout.trim();
  expect(spinning).toBe('');
});

describe('the monitor of a running container is confined', () => {
  /** Every thread's view of itself, as the kernel reports it. */
  const threads = (pid: number): Record<string, string>[] =>
    readdirSync(`/proc/${pid}/task`).map((tid) =>
      Object.fromEntries(
        readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
          .split('\n')
          .map((line) => line.split(/:\s*/, 2).map((part) => part.trim()))
          .filter((pair) => ['Uid', 'Gid', 'Groups', 'CapEff', 'CapPrm', 'CapBnd', 'CapAmb', 'NoNewPrivs'].includes(pair[0])),
      ),
    );
  const ZERO = '0000000000000000';

  test.each([
    ['root in the spec: the dedicated monitor id', undefined, '65532', ''],
    ['process.user 1234:2345 with group 77', { uid: 1234, gid: 2345, additionalGids: [77] }, '1234', '77'],
  ])('%s; no capabilities, no_new_privs, an empty root, no core dumps', async (_what, user, uid, groups) => {
    const id = `c-confined-${uid}`;
    const dir = bundle('spin', [], (config) => {
      if (user) config.process.user = user;
    });
    const creator = startProcess([process.execPath, RUNCC, '--root', root, 'create', '--bundle', dir, id]);
    await waitUntil(() => existsSync(join(root, id, 'runcc.json')) && state(id).status === 'created', 30_000 * SLOWDOWN);
    const pid = state(id).pid;
    try {
      expect(runcc(['start', id])).toMatchObject({ status: 0, stderr: '' });
      await creator.waitForStdout('spinning\n');
      const seen = threads(pid);
      expect(seen.length).toBeGreaterThan(1); // node's threads too, not only the main one
      for (const thread of seen) {
        expect(thread).toMatchObject({
          Uid: `${uid}\t${uid}\t${uid}\t${uid}`,
          Groups: groups,
          CapEff: ZERO,
          CapPrm: ZERO,
          CapBnd: ZERO,
          CapAmb: ZERO,
          NoNewPrivs: '1',
        });
      }
      // Its root is an empty directory that no longer exists anywhere.
      expect(readdirSync(`/proc/${pid}/root`)).toEqual([]);
      expect(spawnSync('readlink', [`/proc/${pid}/root`], { encoding: 'utf8' }).stdout).toMatch(/\.runcc-root-\w+ \(deleted\)\n$/);
      expect(readdirSync(join(root, id)).filter((name) => name.startsWith('.runcc-root-'))).toEqual([]);
      // Guest RAM (32 MiB: the harness's 64 MiB limit less the monitor's headroom) is kept out of core dumps.
      const mappings = readFileSync(`/proc/${pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
      // (a shared anonymous mapping, split where the guest's segments are protected: all its pieces are flagged)
      const kB = (m: string): number => Number(/^Size:\s+(\d+) kB$/m.exec(m)?.[1] ?? 0);
      const undumped = mappings.filter((m) => / \/dev\/zero \(deleted\)\n/.test(m) && /^VmFlags:.*\bdd\b/m.test(m));
      expect(undumped.reduce((sum, m) => sum + kB(m), 0)).toBe(32768);
    } finally {
      // Also after a failed assertion: a spinning container would keep the creator's pipe, and jest, open.
      expect(runcc(['delete', '--force', id])).toMatchObject({ status: 0, stderr: '' });
    }
  });

  test('a user namespace in the spec is refused, not ignored', () => {
    const dir = bundle('spin', [], (config) => {
      config.linux.namespaces.push({ type: 'user' });
    });
    const r = runcc(['create', '--bundle', dir, 'c-userns']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('linux.namespaces: a user namespace is not supported for unikernel containers');
    expect(existsSync(join(root, 'c-userns'))).toBe(false);
  });
});
