// docker with runcc as a runtime (daemon.json `runtimes`), for real: Debian's dockerd 20.10 and containerd 1.6,
// images made by `runcc image build` and loaded with `docker load`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, docker, env, ok, ping, run, runccContainers, waitUntil } from './engine-tools';

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

test('--memory 64m is the guest’s memory', () => {
  expect(docker('run', '--rm', '--runtime=runcc', '--memory', '64m', 'runcc-test/meminfo:1').stdout).toBe("memory: 64 MiB\ncommand line: ''\n");
});

test('docker run -d on the default bridge: the container’s IP answers ping; logs, stop and rm work', async () => {
  const id = docker('run', '-d', '--runtime=runcc', '--name', 'responder', 'runcc-test/net-responder:1').stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const ip = docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'responder').stdout.trim();
  const mac = docker('inspect', '-f', '{{.NetworkSettings.MacAddress}}', 'responder').stdout.trim();
  expect(ip).toMatch(/^10\.90\.0\.\d+$/);
  await waitUntil('the guest to be ready', () => docker('logs', 'responder').stdout.includes('ready\n'), 60_000 * env.slowdown);
  expect(docker('logs', 'responder').stdout).toBe(`service0: MAC ${mac}, MTU is 1500, address ${ip}\nready\n`);
  expect(ping(ip, 5)).toBe(5);
  const stopped = Date.now();
  expect(docker('stop', 'responder').status).toBe(0);
  // SIGTERM stops the guest at once: docker does not wait out its 10 s grace period for SIGKILL.
  expect(Date.now() - stopped).toBeLessThan(10_000 * Math.min(env.slowdown, 3));
  expect(docker('inspect', '-f', '{{.State.ExitCode}}', 'responder').stdout.trim()).toBe('1');
  expect(docker('rm', 'responder').status).toBe(0);
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
