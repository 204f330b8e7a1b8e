// containerd 1.6 with runcc, for real: `ctr image import` of a runcc-built image, then `ctr run --runc-binary`
// (the io.containerd.runc.v2 shim calling runcc for create, start, kill, delete).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, ctr, env, ok, runccContainers } from '../../scripts/engines/engine-tools';

jest.setTimeout(120_000 * env.slowdown / 2);

/** The shim's runc root for the `default` namespace. */
const runccRoot = '/run/containerd/runc/default';
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'runcc-ctr-'));
  for (const image of [buildImage(work, 'hello', 'runcc-test/hello:ctr', ['from', 'ctr']), buildImage(work, 'exitcode', 'runcc-test/exitcode:ctr')]) {
    ok([env.ctr, '--address', env.containerdSocket, 'image', 'import', image]);
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('ctr image import names the image as index.json says', () => {
  const names = ctr('image', 'ls', '-q').stdout.split('\n');
  expect(names).toEqual(expect.arrayContaining(['docker.io/runcc-test/hello:ctr', 'docker.io/runcc-test/exitcode:ctr']));
});

test('ctr run --rm --runc-binary runcc: output and exit status come through the shim', () => {
  expect(ctr('run', '--rm', '--runc-binary', env.runcc, 'docker.io/runcc-test/hello:ctr', 'ctr-hello')).toEqual({
    status: 0,
    stdout: "Hello from a runcc unikernel!\nCommand line: 'from ctr'\n",
    stderr: '',
  });
  const r = ctr('run', '--rm', '--runc-binary', env.runcc, 'docker.io/runcc-test/exitcode:ctr', 'ctr-exit', '/unikernel/exitcode.hvt', '3');
  expect(r).toMatchObject({ status: 3, stdout: 'exiting with status 3\n' });
  expect(ctr('container', 'ls', '-q').stdout).toBe('');
  expect(runccContainers(runccRoot)).toEqual([]);
});
