// docker with runcc as a runtime (daemon.json `runtimes`), for real: Debian's dockerd 20.10 and containerd 1.6,
// images made by `runcc image build` and loaded with `docker load`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MONITOR_HEADROOM_MIB } from '../../src/runtime/operations/create';
import { buildImage, docker, env, ok, ping, run, runccContainers, waitUntil } from '../../scripts/engines/engine-tools';

jest.setTimeout(120_000 * env.slowdown / 2);

/** Where dockerd points runcc's --root (its exec root, runtime name, namespace). */
const runccRoot = join(env.dir, 'docker/exec/runtime-runcc/moby');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'runcc-docker-'));
  const images = [
    buildImage(work, 'hello', 'runcc-test/hello:1', ['from', 'docker']),
    buildImage(work, 'exitcode', 'runcc-test/exitcode:1'),
    buildImage(work, 'meminfo', 'runcc-test/meminfo:1'),
    buildImage(work, 'net-responder', 'runcc-test/net-responder:1'),
    buildImage(work, 'block-tester', 'runcc-test/block-tester:1'),
    buildImage(work, 'args-net', 'runcc-test/args-net:1', ['from', 'docker']),
    buildImage(work, 'args-net-runcc', 'runcc-test/args-net-runcc:1', ['from', 'docker']),
  ];
  for (const image of images) ok([env.docker, '-H', `unix://${env.dockerSocket}`, 'load', '-i', image]);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  expect(runccContainers(runccRoot)).toEqual([]);
});

test('docker run --rm: the guest’s output is docker’s, its exit status docker’s', () => {
  expect(docker('run', '--rm', '--runtime=runcc', 'runcc-test/hello:1')).toEqual({
    status: 0,
    stdout: "Hello from a runcc unikernel!\nCommand line: 'from docker'\n",
    stderr: '',
  });
  const seven = docker('run', '--rm', '--runtime=runcc', 'runcc-test/exitcode:1', '7');
  expect(seven).toMatchObject({ status: 7, stdout: 'exiting with status 7\n' });
});

test('docker run -t: the guest writes to a terminal (console socket)', () => {
  const r = docker('run', '--rm', '-t', '--runtime=runcc', 'runcc-test/hello:1', 'on', 'a', 'tty');
  expect(r).toMatchObject({ status: 0, stdout: "Hello from a runcc unikernel!\r\nCommand line: 'on a tty'\r\n" });
});

test('--memory 64m is the container’s limit: the guest gets what the monitor leaves of it', () => {
  expect(docker('run', '--rm', '--runtime=runcc', '--memory', '64m', 'runcc-test/meminfo:1').stdout).toBe(`memory: ${64 - MONITOR_HEADROOM_MIB} MiB\ncommand line: ''\n`);
});

test('docker run -d on the default bridge: the container’s IP answers ping; logs, stop and rm work', async () => {
  const id = docker('run', '-d', '--runtime=runcc', '--name', 'responder', 'runcc-test/net-responder:1').stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const ip = docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'responder').stdout.trim();
  const mac = docker('inspect', '-f', '{{.NetworkSettings.MacAddress}}', 'responder').stdout.trim();
  expect(ip).toMatch(/^10\.90\.0\.\d+$/);
  await waitUntil('the guest to be ready', () => docker('logs', 'responder').stdout.includes('ready\n'), 60_000 * env.slowdown);
  expect(docker('logs', 'responder').stdout).toBe(`service0: MAC ${mac}, MTU is 1500, address ${ip}\nnetwork I/O: ring\nready\n`);
  expect(ping(ip, 5)).toBe(5);
  // The guest itself answered the five: it reports its count once traffic stops.
  await waitUntil('the guest to report its echo count', () => docker('logs', 'responder').stdout.includes('answered 5 echo requests so far\n'), 30_000 * env.slowdown);
  const stopped = Date.now();
  expect(docker('stop', 'responder').status).toBe(0);
  // SIGTERM stops the guest at once: docker does not wait out its 10 s grace period for SIGKILL.
  expect(Date.now() - stopped).toBeLessThan(10_000 * Math.min(env.slowdown, 3));
  expect(docker('inspect', '-f', '{{.State.ExitCode}}', 'responder').stdout.trim()).toBe('1');
  expect(docker('rm', 'responder').status).toBe(0);
  expect(runccContainers(runccRoot)).toEqual([]);
});

test('on the default bridge, a guest of unknown family gets exactly its arguments; a runcc-format one gets its address', () => {
  // The image of args-net carries no format label (nothing to detect); args-net-runcc's records the runtime's note.
  const label = (image: string): string => docker('image', 'inspect', '-f', '{{index .Config.Labels "org.runcc.net-format"}}', image).stdout.trim();
  expect(label('runcc-test/args-net:1')).toBe('');
  expect(label('runcc-test/args-net-runcc:1')).toBe('runcc');
  expect(docker('run', '--rm', '--runtime=runcc', 'runcc-test/args-net:1')).toEqual({ status: 0, stdout: "Command line: 'from docker'\n", stderr: '' });
  const r = docker('run', '--rm', '--runtime=runcc', 'runcc-test/args-net-runcc:1');
  expect(r.stdout).toMatch(/^Command line: 'service0\.ipv4=10\.90\.0\.\d+\/\d+ service0\.gateway=10\.90\.0\.1 from docker'\n$/);
  expect(r.status).toBe(0);
});

test('docker run -d of a guest that exits at once: docker reports it exited, with its status and output', async () => {
  docker('run', '-d', '--runtime=runcc', '--name', 'gone', 'runcc-test/args-net:1');
  await waitUntil('the container to exit', () => docker('inspect', '-f', '{{.State.Status}}', 'gone').stdout.trim() === 'exited', 60_000 * env.slowdown);
  expect(docker('inspect', '-f', '{{.State.ExitCode}}', 'gone').stdout.trim()).toBe('0');
  expect(docker('logs', 'gone').stdout).toBe("Command line: 'from docker'\n");
  expect(docker('rm', 'gone').status).toBe(0);
  expect(runccContainers(runccRoot)).toEqual([]);
});

test('--network none: a guest without net devices runs; one with a net device stops with a message', () => {
  expect(docker('run', '--rm', '--runtime=runcc', '--network', 'none', 'runcc-test/hello:1').status).toBe(0);
  const r = docker('run', '--rm', '--runtime=runcc', '--network', 'none', 'runcc-test/net-responder:1', '1');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("runcc: the unikernel's net device service0 has no interface");
});

test('-v disk.img:/storage gives the guest its block device storage', () => {
  const disk = join(work, 'disk.img');
  writeFileSync(disk, Buffer.alloc(1024 * 1024));
  const r = docker('run', '--rm', '--runtime=runcc', '-v', `${disk}:/storage`, 'runcc-test/block-tester:1');
  expect(r.stdout).toContain('SUCCESS\n');
  expect(r.status).toBe(0);
});

test('an image saved by docker (docker save) unpacks into a bundle that runcc runs', () => {
  const saved = join(work, 'saved.tar');
  expect(docker('save', '-o', saved, 'runcc-test/hello:1').status).toBe(0);
  const bundle = join(work, 'saved-bundle');
  expect(run([env.runcc, 'image', 'unpack', saved, '--bundle', bundle])).toEqual({ status: 0, stdout: '', stderr: '' });
  const root = join(env.dir, 'runcc-saved');
  expect(run([env.runcc, '--root', root, 'run', '--bundle', bundle, 'saved-hello'])).toEqual({
    status: 0,
    stdout: "Hello from a runcc unikernel!\nCommand line: 'from docker'\n",
    stderr: '',
  });
  expect(runccContainers(root)).toEqual([]);
});
