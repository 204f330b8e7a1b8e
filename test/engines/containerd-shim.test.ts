// containerd 1.6 driving runcc's own runtime shim v2 (`--runtime io.containerd.runcc.v2`), for real: the shim binary
// found on containerd's PATH, ttrpc between them, events back to containerd, the guest in KVM.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketPath } from '../../src/shim/address';
import { restartContainerd } from '../../scripts/engines/engine-daemons';
import { bootedSpares, buildImage, sharedShims, ctr, env, ok, run, runccContainers, waitUntil } from '../../scripts/engines/engine-tools';

jest.setTimeout(120_000 * env.slowdown / 2);

const RUNTIME = 'io.containerd.runcc.v2';
/** The command line of this namespace's shim daemons (and of their start and delete actions), for pgrep/pkill. */
const SHIM_PATTERN = 'containerd-shim-runcc-v2.js -namespace default ';
/** The shim's state root for the `default` namespace. */
const shimRoot = '/run/containerd/runcc/default';
let work: string;
let events: ChildProcess;
let eventText = '';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'runcc-shim-'));
  for (const image of [
    buildImage(work, 'hello', 'runcc-test/hello:shim', ['from', 'the', 'shim']),
    buildImage(work, 'exitcode', 'runcc-test/exitcode:shim'),
    buildImage(work, 'time', 'runcc-test/sleeper:shim', ['600000', '1']),
  ]) {
    ok([env.ctr, '--address', env.containerdSocket, 'image', 'import', image]);
  }
  watchEvents();
});

/** `ctr events` into eventText (again after a containerd restart, which ends it). */
function watchEvents(): void {
  events?.kill();
  events = spawn(env.ctr, ['--address', env.containerdSocket, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
  events.stdout!.setEncoding('utf8').on('data', (chunk: string) => (eventText += chunk));
}
// What a failed test left (its tasks, containers, shims) goes, so the tests after it start from nothing.
afterEach(async () => {
  const tasks = ctr('task', 'ls', '-q').stdout.split('\n').filter(Boolean);
  const containers = ctr('container', 'ls', '-q').stdout.split('\n').filter(Boolean);
  if (tasks.length === 0 && containers.length === 0 && shimProcesses().length === 0) return;
  for (const id of tasks) {
    ctr('task', 'kill', '-s', 'SIGKILL', id);
    ctr('task', 'delete', '--force', id);
  }
  for (const id of containers) ctr('container', 'rm', id);
  await waitUntil('a failed test\'s shims to exit', () => shimProcesses().length === 0, 20_000 * env.slowdown).catch(() => run(['pkill', '-KILL', '-f', SHIM_PATTERN]));
});

afterAll(() => {
  events?.kill();
  // RUNCC_SHIM_TEST_LOG=FILE keeps containerd's log (the shims' own lines included) after the run, for a failure's why.
  if (process.env.RUNCC_SHIM_TEST_LOG) require('node:fs').copyFileSync(join(env.dir, 'containerd.log'), process.env.RUNCC_SHIM_TEST_LOG);
  rmSync(work, { recursive: true, force: true });
});

function shimProcesses(): string[] {
  return run(['pgrep', '-f', SHIM_PATTERN]).stdout.split('\n').filter(Boolean);
}

function taskPid(id: string): number {
  return Number(new RegExp(`${id}\\s+(\\d+)`).exec(ctr('task', 'ls').stdout)?.[1] ?? 0);
}

/** What a task of the shim could leave: its runcc state, its group's socket, its cgroup, a shim process. */
async function expectNothingLeft(ids: string[]): Promise<void> {
  await waitUntil('the shims to exit', () => shimProcesses().length === 0, 20_000 * env.slowdown);
  expect(runccContainers(shimRoot)).toEqual([]);
  expect(existsSync(shimRoot) ? readdirSync(shimRoot) : []).toEqual([]);
  // A shim killed under containerd is cleaned up by the `delete` action, which containerd may still be running
  // when it has dropped the task: its socket and cgroup go within a bound, not necessarily at once.
  const left = (): string[] => ids.flatMap((id) => [socketPath(env.containerdSocket, 'default', id), `/sys/fs/cgroup/default/${id}`]).filter((path) => existsSync(path));
  await waitUntil('the tasks\' sockets and cgroups to go', () => left().length === 0, 20_000 * env.slowdown).catch(() => undefined);
  expect(left()).toEqual([]);
  expect(ctr('container', 'ls', '-q').stdout).toBe('');
}

test('ctr run --rm: output and exit status come through the shim, and TaskExit reaches containerd', async () => {
  expect(ctr('run', '--rm', '--runtime', RUNTIME, 'docker.io/runcc-test/hello:shim', 'shim-hello')).toEqual({
    status: 0,
    stdout: "Hello from a runcc unikernel!\nCommand line: 'from the shim'\n",
    stderr: '',
  });
  const r = ctr('run', '--rm', '--runtime', RUNTIME, 'docker.io/runcc-test/exitcode:shim', 'shim-exit', '/unikernel/exitcode.hvt', '3');
  expect(r).toMatchObject({ status: 3, stdout: 'exiting with status 3\n' });
  await waitUntil('the TaskExit of shim-exit', () => /\/tasks\/exit.*"container_id":"shim-exit".*"exit_status":3/.test(eventText), 10_000 * env.slowdown);
  for (const topic of ['create', 'start', 'delete']) expect(eventText).toMatch(new RegExp(`/tasks/${topic}.*"container_id":"shim-exit"`));
  await expectNothingLeft(['shim-hello', 'shim-exit']);
});

test('ctr run -d, task metrics, task kill, task delete', async () => {
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, 'docker.io/runcc-test/sleeper:shim', 'shim-sleeper']);
  const listed = ctr('task', 'ls').stdout;
  expect(listed).toMatch(/shim-sleeper\s+(\d+)\s+RUNNING/);
  const pid = Number(/shim-sleeper\s+(\d+)/.exec(listed)![1]);
  // The task's pid is the monitor's, in the cgroup ctr asked for.
  expect(run(['cat', `/proc/${pid}/cgroup`]).stdout).toContain('/default/shim-sleeper');
  const metrics = ctr('task', 'metrics', 'shim-sleeper');
  expect(metrics.status).toBe(0);
  // The monitor's node and the guest's RAM are charged to the container: well above a MiB.
  const usage = Number(/memory\.usage\s+(\d+)/.exec(metrics.stdout)?.[1] ?? 0);
  expect({ metrics: metrics.stdout, usageAboveOneMiB: usage > 1 << 20 }).toEqual({ metrics: metrics.stdout, usageAboveOneMiB: true });
  expect(metrics.stdout).toMatch(/pids\.current\s+[1-9]/);
  expect(metrics.stdout).toMatch(/cpu\.usage_usec\s+[1-9]/);

  ok([env.ctr, '--address', env.containerdSocket, 'task', 'kill', 'shim-sleeper']);
  await waitUntil('shim-sleeper to stop', () => /shim-sleeper\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  // Killing what already exited is NotFound, which ctr reports as such.
  expect(ctr('task', 'kill', 'shim-sleeper').stderr).toMatch(/not found/);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', 'shim-sleeper']);
  ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', 'shim-sleeper']);
  await expectNothingLeft(['shim-sleeper']);
});

test('ctr run -d: a guest that writes after ctr has gone on keeps its console and ends with its own status', async () => {
  // Two sleeps of 2 s, a line after each: ctr has exited (and closed its end of the stdout FIFO) long before.
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, 'docker.io/runcc-test/sleeper:shim', 'shim-late', '/unikernel/time.hvt', '2000', '2']);
  await waitUntil('the TaskExit of shim-late', () => /\/tasks\/exit.*"container_id":"shim-late"/.test(eventText), 60_000 * env.slowdown);
  // SUCCESS is 0, which the event's JSON leaves out; a console write that failed (EPIPE) would have ended the monitor
  // with 1.
  const exit = /\/tasks\/exit.*"container_id":"shim-late"[^\n]*/.exec(eventText)![0];
  expect(exit).toMatch(/"exited_at"/);
  expect(exit).not.toMatch(/"exit_status"/);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', 'shim-late']);
  ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', 'shim-late']);
  await expectNothingLeft(['shim-late']);
});

test('a guest that exits by itself, and a monitor killed under the shim, are reported with their status', async () => {
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, 'docker.io/runcc-test/exitcode:shim', 'shim-self', '/unikernel/exitcode.hvt', '5']);
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, 'docker.io/runcc-test/sleeper:shim', 'shim-victim']);
  await waitUntil('shim-self to stop', () => /shim-self\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
  await waitUntil('the TaskExit of shim-self', () => /\/tasks\/exit.*"container_id":"shim-self".*"exit_status":5/.test(eventText), 10_000 * env.slowdown);
  const victim = Number(/shim-victim\s+(\d+)\s+RUNNING/.exec(ctr('task', 'ls').stdout)![1]);
  process.kill(victim, 'SIGKILL');
  await waitUntil('shim-victim to stop', () => /shim-victim\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
  await waitUntil('the TaskExit of shim-victim', () => /\/tasks\/exit.*"container_id":"shim-victim".*"exit_status":137/.test(eventText), 10_000 * env.slowdown);
  for (const id of ['shim-self', 'shim-victim']) {
    ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', id]);
    ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', id]);
  }
  await expectNothingLeft(['shim-self', 'shim-victim']);
});

test('with monitor_pool_size = 1 (runtime options), a create takes a monitor that was running before it was called', async () => {
  const config = join(work, 'runcc-shim.toml');
  writeFileSync(config, '# runcc shim options\nmonitor_pool_size = 1\nmonitor_pool_mem_mib = 512\n');
  // One group, so both containers are served by one shim and its pool; the monitors' output goes to a file.
  const flags = (id: string): string[] => ['--runtime', RUNTIME, '--runtime-config-path', config, '--annotation', 'io.containerd.runcc.v2.group=pooled', '--log-uri', `file://${join(work, `${id}.log`)}`];
  const said = (id: string): string => {
    const log = join(work, `${id}.log`);
    const exit = new RegExp(`/tasks/exit.*"container_id":"${id}"[^\n]*`).exec(eventText)?.[0] ?? 'no exit event';
    return `${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'}; ${exit}`;
  };
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', ...flags('shim-pool-1'), 'docker.io/runcc-test/sleeper:shim', 'shim-pool-1']);
  const [shim] = shimProcesses().map(Number);
  const first = taskPid('shim-pool-1');
  expect({ first: ctr('task', 'ls').stdout.includes('RUNNING'), said: said('shim-pool-1') }).toEqual({ first: true, said: said('shim-pool-1') });
  const spares = (): number[] => run(['pgrep', '-P', String(shim)]).stdout.split('\n').filter(Boolean).map(Number).filter((pid) => pid !== first);
  // The pool refills after the first create: a booted monitor waits, a child of the shim that is no task.
  await waitUntil('a spare monitor', () => spares().length === 1, 60_000 * env.slowdown);
  const [spare] = spares();
  const startTime = (pid: number): string | undefined => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19] : undefined);
  const spareStart = startTime(spare);
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', ...flags('shim-pool-2'), 'docker.io/runcc-test/sleeper:shim', 'shim-pool-2']);
  // The second container's monitor is that process: same pid, same start time, so it existed before Create.
  expect(taskPid('shim-pool-2')).toBe(spare);
  await new Promise((resolve) => setTimeout(resolve, 2000 * env.slowdown));
  expect({ start: startTime(spare), said: said('shim-pool-2') }).toEqual({ start: spareStart, said: said('shim-pool-2') });
  expect(ctr('task', 'ls').stdout).toMatch(/shim-pool-2\s+\d+\s+RUNNING/);
  expect(run(['cat', `/proc/${spare}/cgroup`]).stdout).toContain('/default/shim-pool-2');
  for (const id of ['shim-pool-1', 'shim-pool-2']) {
    ctr('task', 'kill', '-s', 'SIGKILL', id);
    await waitUntil(`${id} to stop`, () => new RegExp(`${id}\\s+\\d+\\s+STOPPED`).test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
    ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', id]);
    ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', id]);
  }
  // The last Shutdown closes the pool: its spare is killed and reaped with the shim.
  await expectNothingLeft(['shim-pool-1', 'shim-pool-2']);
  expect(run(['pgrep', '-f', 'container-monitor']).stdout).toBe('');
});

const sharedShimPids = (): number[] => sharedShims().map((shim) => shim.pid);

const startTimeOf = (pid: number): string | undefined => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19] : undefined);

test('shared_shim = 1: one shim for the containers of these options, staying after the last with a booted spare the next container takes; it goes on SIGTERM, or after its stay', async () => {
  const config = join(work, 'runcc-shared.toml');
  writeFileSync(config, 'shared_shim = 1\nmonitor_pool_size = 1\nmonitor_pool_mem_mib = 64\nshared_shim_idle_s = 600\n');
  const shared = (id: string): string[] => ['--runtime', RUNTIME, '--runtime-config-path', config, '--log-uri', `file://${join(work, `${id}.log`)}`];
  expect(ctr('run', '--rm', '--runtime', RUNTIME, '--runtime-config-path', config, 'docker.io/runcc-test/hello:shim', 'shared-1')).toMatchObject({
    status: 0,
    stdout: "Hello from a runcc unikernel!\nCommand line: 'from the shim'\n",
  });
  // Its task is gone, and containerd sent Shutdown: the shim stays, named in its pid file, one process.
  const [{ pid: shim, socket }] = sharedShims();
  expect({ shims: shimProcesses().map(Number), named: sharedShimPids() }).toEqual({ shims: [shim], named: [shim] });
  const shimStart = startTimeOf(shim);
  await waitUntil('a booted spare', () => bootedSpares(shim).length === 1, 60_000 * env.slowdown);
  const [spare] = bootedSpares(shim);
  const spareStart = startTimeOf(spare);
  // The next container: the same shim (no server started), and its monitor is that spare, which existed before.
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', ...shared('shared-2'), 'docker.io/runcc-test/sleeper:shim', 'shared-2']);
  expect({ monitor: taskPid('shared-2'), start: startTimeOf(spare), shims: shimProcesses().map(Number), shimStart: startTimeOf(shim) }).toEqual({ monitor: spare, start: spareStart, shims: [shim], shimStart });
  expect(run(['cat', `/proc/${spare}/cgroup`]).stdout).toContain('/default/shared-2');
  // Other options: another shim (a shim is configured once, by the first container's options).
  const other = join(work, 'runcc-shared-other.toml');
  writeFileSync(other, 'shared_shim = 1\nshared_shim_idle_s = 1\n');
  expect(ctr('run', '--rm', '--runtime', RUNTIME, '--runtime-config-path', other, 'docker.io/runcc-test/exitcode:shim', 'shared-3', '/unikernel/exitcode.hvt', '3')).toMatchObject({ status: 3, stdout: 'exiting with status 3\n' });
  const otherSocket = sharedShims().find((named) => named.pid !== shim)?.socket;
  expect(otherSocket).toBeDefined();
  // That one's stay is a second, then a grace with no connection (10 s): it goes by itself, leaving its socket and pid file gone.
  await waitUntil('the short-stay shim to go', () => shimProcesses().length === 1, 30_000 * env.slowdown);
  expect({ named: sharedShimPids(), shims: shimProcesses().map(Number), socket: existsSync(otherSocket!) }).toEqual({ named: [shim], shims: [shim], socket: false });
  ctr('task', 'kill', '-s', 'SIGKILL', 'shared-2');
  await waitUntil('shared-2 to stop', () => /shared-2\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', 'shared-2']);
  ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', 'shared-2']);
  expect(shimProcesses().map(Number)).toEqual([shim]);
  await waitUntil('the pool to refill', () => bootedSpares(shim).length === 1, 60_000 * env.slowdown);
  // SIGTERM (systemd stopping the host, say): the shim goes at once with its spare, leaving nothing.
  process.kill(shim, 'SIGTERM');
  await expectNothingLeft(['shared-1', 'shared-2', 'shared-3']);
  expect({ named: sharedShimPids(), socket: existsSync(socket) }).toEqual({ named: [], socket: false });
  expect(run(['pgrep', '-f', 'container-monitor']).stdout).toBe('');
});

test('hostile ttrpc input leaves the shim serving; a shim killed under a running guest is cleaned up by `delete`', async () => {
  const log = join(work, 'shim-orphan.log');
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, '--log-uri', `file://${log}`, 'docker.io/runcc-test/sleeper:shim', 'shim-orphan']);
  const monitor = taskPid('shim-orphan');
  const [shim] = shimProcesses().map(Number);
  const socket = socketPath(env.containerdSocket, 'default', 'shim-orphan');
  // An oversized frame, an even stream id, and bytes that are no frame at all, on a connection of our own.
  await new Promise<void>((resolve, reject) => {
    const peer = connect(socket, () => {
      const huge = Buffer.alloc(10);
      huge.writeUInt32BE(64 << 20, 0);
      huge.writeUInt32BE(1, 4);
      huge[8] = 1;
      peer.write(Buffer.concat([Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 1, 0, 0xff, 0xff]), huge, Buffer.alloc(1 << 16, 0x55)]));
      setTimeout(() => {
        peer.destroy();
        resolve();
      }, 500);
    });
    peer.on('error', reject);
  });
  // If it is not running any more, what the guest printed and its exit event say why.
  const listed = ctr('task', 'ls').stdout;
  const why = /shim-orphan\s+\d+\s+RUNNING/.test(listed) ? '' : `${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'}; ${/\/tasks\/exit.*"container_id":"shim-orphan"[^\n]*/.exec(eventText)?.[0] ?? 'no exit event'}`;
  expect({ listed, why }).toEqual({ listed: expect.stringMatching(/shim-orphan\s+\d+\s+RUNNING/), why: '' });
  expect(ok([env.ctr, '--address', env.containerdSocket, 'task', 'metrics', 'shim-orphan'])).toMatch(/memory\.usage/);

  // containerd sees the connection close, runs `containerd-shim-runcc-v2 delete`, which ends the monitor and
  // removes its state, cgroup and mount; containerd reports the task gone.
  process.kill(shim, 'SIGKILL');
  // Gone, or a zombie of whichever init adopted it when its shim died.
  const ended = (): boolean => {
    try {
      return / Z /.test(readFileSync(`/proc/${monitor}/stat`, 'utf8').split(')').pop() ?? '');
    } catch {
      return true;
    }
  };
  await waitUntil('the monitor to be cleaned up', ended, 30_000 * env.slowdown);
  await waitUntil('containerd to drop the task', () => !ctr('task', 'ls').stdout.includes('shim-orphan'), 30_000 * env.slowdown);
  ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', 'shim-orphan']);
  await expectNothingLeft(['shim-orphan']);
});

test('ctr run -t: the guest\'s console is a pty the shim copies (\r\n, exit status), and ResizePty sets its size', async () => {
  const run_ = `${env.ctr} --address ${env.containerdSocket} run --rm -t --runtime ${RUNTIME}`;
  // ctr wants a terminal of its own: script(1) gives it one, 31 rows by 97 columns, which ctr sends as ResizePty.
  const script = spawn('script', ['-qec', [
    'stty rows 31 cols 97',
    `${run_} docker.io/runcc-test/hello:shim shim-tty`, 'echo "status=$?"',
    `${run_} docker.io/runcc-test/exitcode:shim shim-tty-exit /unikernel/exitcode.hvt 3`, 'echo "status=$?"',
    `${run_} docker.io/runcc-test/sleeper:shim shim-tty-sleep`, 'echo "status=$?"',
  ].join('; '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  script.stdout!.setEncoding('latin1').on('data', (chunk: string) => (output += chunk));
  const ended = new Promise<number | null>((resolve) => script.on('exit', (code) => resolve(code)));
  try {
    await waitUntil('shim-tty-sleep to run', () => taskPid('shim-tty-sleep') > 0, 60_000 * env.slowdown);
    const monitor = taskPid('shim-tty-sleep');
    // The monitor's stdio is a pty slave, and the kernel has the size ctr asked for on it.
    expect(run(['readlink', `/proc/${monitor}/fd/1`]).stdout).toMatch(/^\/dev\/pts\/\d+\n$/);
    const size = (): string => run(['stty', '-F', `/proc/${monitor}/fd/0`, 'size']).stdout.trim();
    await waitUntil('the window size to reach the pty', () => size() === '31 97', 20_000 * env.slowdown);
    ok([env.ctr, '--address', env.containerdSocket, 'task', 'kill', '-s', 'SIGKILL', 'shim-tty-sleep']);
    expect(await ended).toBe(0);
  } finally {
    script.kill('SIGKILL');
  }
  // The guest's \n became \r\n in the container's pty (the shim's), and script's own pty, whose output processing
  // ctr leaves on, adds a \r of its own: one \r more than the shell's echo lines, which pass only script's pty.
  expect(output).toContain("Hello from a runcc unikernel!\r\r\nCommand line: 'from the shim'\r\r\nstatus=0\r\n");
  expect(output).toContain('exiting with status 3\r\r\nstatus=3\r\n');
  expect(output).toContain('status=137\r\n');
  await expectNothingLeft(['shim-tty', 'shim-tty-exit', 'shim-tty-sleep']);
});

test('ctr task pause stops the monitor (State T, PAUSED, /tasks/paused); resume lets the guest go on', async () => {
  const log = join(work, 'shim-pause.log');
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, '--log-uri', `file://${log}`, 'docker.io/runcc-test/sleeper:shim', 'shim-pause', '/unikernel/time.hvt', '200', '100000']);
  const pid = taskPid('shim-pause');
  const state = (): string | undefined => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  const lines = (): number => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('slept')).length : 0);
  await waitUntil('the guest to tick', () => lines() >= 1, 60_000 * env.slowdown);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'pause', 'shim-pause']);
  // SIGSTOP is delivered when the monitor is next scheduled: the kernel's view, soon after pause returns.
  await waitUntil('the monitor to be stopped (State: T)', () => state() === 'T', 10_000 * env.slowdown);
  expect(ctr('task', 'ls').stdout).toMatch(/shim-pause\s+\d+\s+PAUSED/);
  await waitUntil('the TaskPaused of shim-pause', () => /\/tasks\/paused.*"container_id":"shim-pause"/.test(eventText), 10_000 * env.slowdown);
  const whilePaused = lines();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(lines()).toBe(whilePaused);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'resume', 'shim-pause']);
  await waitUntil('the monitor to run again', () => state() !== 'T', 10_000 * env.slowdown);
  expect(ctr('task', 'ls').stdout).toMatch(/shim-pause\s+\d+\s+RUNNING/);
  await waitUntil('the TaskResumed of shim-pause', () => /\/tasks\/resumed.*"container_id":"shim-pause"/.test(eventText), 10_000 * env.slowdown);
  await waitUntil('the guest to tick again', () => lines() > whilePaused, 30_000 * env.slowdown);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'kill', '-s', 'SIGKILL', 'shim-pause']);
  await waitUntil('shim-pause to stop', () => /shim-pause\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', 'shim-pause']);
  ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', 'shim-pause']);
  await expectNothingLeft(['shim-pause']);
});

test('containerd restarted under a running task reconnects to its shim (address file); kill and delete then leave nothing', async () => {
  ok([env.ctr, '--address', env.containerdSocket, 'run', '-d', '--runtime', RUNTIME, 'docker.io/runcc-test/sleeper:shim', 'shim-restart']);
  const monitor = taskPid('shim-restart');
  const shims = shimProcesses();
  expect(shims).toHaveLength(1);
  const address = join(env.dir, 'containerd/state/io.containerd.runtime.v2.task/default/shim-restart/address');
  expect(readFileSync(address, 'utf8')).toBe(`unix://${socketPath(env.containerdSocket, 'default', 'shim-restart')}`);

  await restartContainerd();
  watchEvents();
  try {
    await waitUntil('containerd to list shim-restart again', () => /shim-restart\s+\d+\s+RUNNING/.test(ctr('task', 'ls').stdout), 60_000);
  } catch (error) {
    const log = readFileSync(join(env.dir, 'containerd.log'), 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`${(error as Error).message}; ctr task ls: ${JSON.stringify(ctr('task', 'ls'))}; containerd.log:\n${log}`);
  }
  // The same shim and the same monitor: reconnected, not restarted.
  expect(shimProcesses()).toEqual(shims);
  expect(taskPid('shim-restart')).toBe(monitor);
  expect(ok([env.ctr, '--address', env.containerdSocket, 'task', 'metrics', 'shim-restart'])).toMatch(/memory\.usage/);

  ok([env.ctr, '--address', env.containerdSocket, 'task', 'kill', '-s', 'SIGKILL', 'shim-restart']);
  await waitUntil('shim-restart to stop', () => /shim-restart\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000 * env.slowdown);
  // The shim's events reach the new containerd.
  await waitUntil('the TaskExit of shim-restart', () => /\/tasks\/exit.*"container_id":"shim-restart".*"exit_status":137/.test(eventText), 10_000 * env.slowdown);
  ok([env.ctr, '--address', env.containerdSocket, 'task', 'delete', 'shim-restart']);
  ok([env.ctr, '--address', env.containerdSocket, 'container', 'rm', 'shim-restart']);
  await expectNothingLeft(['shim-restart']);
  expect(existsSync(`/proc/${monitor}`)).toBe(false);
});
