// The shim's shell front (src/cli/containerd-shim-runcc-v2.sh): containerd's `delete` of a container that left
// nothing is answered without node, in the node program's words; anything left goes to the node program; `start`
// starts the node program once, as the server-to-be, and relays its answer. A copy of the front runs beside a
// stand-in for the node program that records that it ran, and with what.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { decode } from '../../../src/shim/proto/schema';
import { SHIM_STATE_ROOT, shimRuncRoot, shimStore } from '../../../src/shim/shim-paths';
import { SOCKET_DIR, sharedSocketPath } from '../../../src/shim/address';

const FRONT = join(__dirname, '../../../src/cli/containerd-shim-runcc-v2.sh');
/**
 * Records its arguments; as `start`'s server-to-be (RUNCC_SHIM_SERVE_AT_START) it also records its stdin and its
 * session, and answers on fd 3 as RUNCC_TEST_SAY tells it (`ready` after writing `address`, by default).
 */
const STAND_IN = `const fs = require('fs');
fs.writeFileSync(RAN, JSON.stringify(process.argv.slice(2)));
if (process.env.RUNCC_SHIM_SERVE_AT_START === '1') {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8').split(')')[1].trim().split(' ');
  fs.writeFileSync(RAN + '.start', JSON.stringify({ stdin: fs.readFileSync(0, 'utf8'), leadsSession: Number(stat[3]) === process.pid }));
  const say = process.env.RUNCC_TEST_SAY ?? 'ready';
  if (say === 'ready') fs.writeFileSync('address', 'unix:///run/containerd/s/0123');
  if (say !== '') fs.writeSync(3, say + '\\n');
  process.exitCode = say === 'ready' ? 0 : 1;
}
`;
let dir: string;
let front: string;
let ran: string;
let bundle: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runcc-shim-front-'));
  front = join(dir, 'bin/containerd-shim-runcc-v2');
  ran = join(dir, 'node-ran');
  mkdirSync(join(dir, 'bin'));
  copyFileSync(FRONT, front);
  chmodSync(front, 0o755);
  writeFileSync(join(dir, 'bin/containerd-shim-runcc-v2.js'), STAND_IN.replaceAll('RAN', JSON.stringify(ran)));
  bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  env = { ...process.env, RUNCC_SHIM_ROOT: join(dir, 'state'), RUNCC_SHIM_RUNC_ROOT: join(dir, 'runc') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function del(id = 'web-1', extra: string[] = []): { stdout: Buffer; nodeRan: string[] | undefined } {
  const argv = ['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', id, '-bundle', bundle, ...extra, 'delete'];
  const result = spawnSync(front, argv, { env, cwd: bundle });
  expect({ status: result.status, stderr: result.stderr.toString() }).toEqual({ status: 0, stderr: '' });
  return { stdout: result.stdout, nodeRan: existsSync(ran) ? JSON.parse(readFileSync(ran, 'utf8')) : undefined };
}

test('its paths are the shim\'s: state, runc root and socket directory', () => {
  const text = readFileSync(FRONT, 'utf8');
  expect(shimStore('default').dir('web-1')).toBe(join(SHIM_STATE_ROOT, 'default', 'web-1'));
  expect(text).toContain(`\${RUNCC_SHIM_ROOT:-${SHIM_STATE_ROOT}}/$namespace/$id`);
  expect(shimRuncRoot('default')).toBe('/run/containerd/runcc-runc/default');
  expect(text).toContain('${RUNCC_SHIM_RUNC_ROOT:-/run/containerd/runcc-runc}/$namespace/$id');
  expect(SOCKET_DIR).toBe('/run/containerd/s');
});

test('nothing left: a DeleteResponse as the node program writes it (killed, now), and no node', () => {
  const before = Math.floor(Date.now() / 1000);
  const { stdout, nodeRan } = del();
  expect(nodeRan).toBeUndefined();
  const response = decode<{ pid: number; exit_status: number; exited_at: { seconds: number; nanos: number } }>('containerd.task.v2.DeleteResponse', stdout);
  expect(response.pid).toBe(0);
  expect(response.exit_status).toBe(137);
  expect(response.exited_at.seconds).toBeGreaterThanOrEqual(before);
  expect(response.exited_at.seconds).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
});

test('a socket whose server has gone (address file, no socket) is nothing left', () => {
  writeFileSync(join(bundle, 'address'), `unix://${join(dir, 'gone.sock')}`);
  expect(del().nodeRan).toBeUndefined();
});

test.each([
  ['runcc state', () => mkdirSync(join(dir, 'state/default/web-1'), { recursive: true })],
  ['runc state', () => mkdirSync(join(dir, 'runc/default/web-1'), { recursive: true })],
])('%s left: the node program cleans up, with containerd\'s arguments', (_what, leave) => {
  leave();
  expect(del().nodeRan).toEqual(['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'web-1', '-bundle', bundle, 'delete']);
});

test('a socket still there (a live server, or a dead one only a connection tells): the node program', async () => {
  const path = join(dir, 'live.sock');
  const server: Server = await new Promise((resolve) => {
    const s = createServer().listen(path, () => resolve(s));
  });
  try {
    writeFileSync(join(bundle, 'address'), `unix://${path}`);
    expect(del().nodeRan).toBeDefined();
  } finally {
    server.close();
  }
});

test('an id the shim would refuse, and every other call, go to the node program', () => {
  expect(del('../web').nodeRan).toBeDefined();
  rmSync(ran);
  const version = spawnSync(front, ['-v'], { env, cwd: bundle });
  expect(version.status).toBe(0);
  expect(JSON.parse(readFileSync(ran, 'utf8'))).toEqual(['-v']);
});

// Mounting needs root, as the shim has.
(process.getuid?.() === 0 ? test : test.skip)('a rootfs still mounted: the node program', () => {
  execFileSync('mount', ['-t', 'tmpfs', 'runcc-test', join(bundle, 'rootfs')]);
  try {
    expect(del().nodeRan).toBeDefined();
  } finally {
    execFileSync('umount', [join(bundle, 'rootfs')]);
  }
});

function start(say?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(front, ['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'web-1', 'start'], {
    env: { ...env, ...(say === undefined ? {} : { RUNCC_TEST_SAY: say }) },
    cwd: bundle,
    input: 'runtime options',
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('start: one node process, in a session of its own with containerd\'s stdin, becomes the server; the front prints the address', () => {
  expect(start()).toEqual({ status: 0, stdout: 'unix:///run/containerd/s/0123', stderr: '' });
  expect(JSON.parse(readFileSync(ran, 'utf8'))).toEqual(['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'web-1', 'start']);
  expect(JSON.parse(readFileSync(`${ran}.start`, 'utf8'))).toEqual({ stdin: 'runtime options', leadsSession: true });
});

test('start: the server\'s error, or its silence, is the front\'s message and status 1', () => {
  expect(start('error: runtime options: cannot read /x: ENOENT')).toEqual({ status: 1, stdout: '', stderr: 'containerd-shim-runcc-v2: runtime options: cannot read /x: ENOENT\n' });
  expect(start('')).toEqual({ status: 1, stdout: '', stderr: 'containerd-shim-runcc-v2: the shim exited before it listened\n' });
});

describe('a shared shim (shared_shim = 1) that names itself in <socket>.pid', () => {
  const options = Buffer.from('runtime options');
  let socketDir: string;
  let server: Server | undefined;
  beforeEach(() => {
    socketDir = join(dir, 's');
    mkdirSync(socketDir);
    env = { ...env, RUNCC_SHIM_SOCKET_DIR: socketDir };
  });
  afterEach(() => server?.close());

  /** A listening socket where the shared shim for `options` listens, and its pid file naming `pid` (this process by default). */
  async function sharedServer(pidLine?: string): Promise<string> {
    const path = join(socketDir, basename(sharedSocketPath('/run/containerd/containerd.sock', 'default', options)));
    server = await new Promise((resolve) => {
      const s = createServer().listen(path, () => resolve(s));
    });
    const self = readFileSync('/proc/self/stat', 'utf8');
    const startTime = self.slice(self.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(`${path}.pid`, pidLine ?? `${process.pid} ${startTime}\n`);
    return path;
  }

  test('its socket is where the node side puts it (the front and address.ts hash the same key)', () => {
    expect(readFileSync(FRONT, 'utf8')).toContain('${RUNCC_SHIM_SOCKET_DIR:-/run/containerd/s}');
    const key = `/run/containerd/containerd.sock/default/runcc-shared-${createHash('sha256').update(options).digest('hex')}`;
    expect(sharedSocketPath('/run/containerd/containerd.sock', 'default', options)).toBe(join(SOCKET_DIR, createHash('sha256').update(key).digest('hex')));
  });

  test('start joins it with no node: the address printed and written in the bundle, the options file gone', async () => {
    const path = await sharedServer();
    expect(start()).toEqual({ status: 0, stdout: `unix://${path}`, stderr: '' });
    expect(existsSync(ran)).toBe(false);
    expect(readFileSync(join(bundle, 'address'), 'utf8')).toBe(`unix://${path}`);
    expect(existsSync(join(bundle, '.runtime-options'))).toBe(false);
  });

  test('other runtime options, a pid file naming a process that is not the one that wrote it, or none: node, with the options on stdin', async () => {
    const path = await sharedServer();
    const other = spawnSync(front, ['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-id', 'web-1', 'start'], { env, cwd: bundle, input: 'other options', encoding: 'utf8' });
    expect(other.stdout).toBe('unix:///run/containerd/s/0123');
    expect(JSON.parse(readFileSync(`${ran}.start`, 'utf8')).stdin).toBe('other options');
    for (const line of [`${process.pid} 1\n`, `x y\n`]) {
      rmSync(ran, { force: true });
      writeFileSync(`${path}.pid`, line);
      expect(start().stdout).toBe('unix:///run/containerd/s/0123');
      expect(JSON.parse(readFileSync(`${ran}.start`, 'utf8')).stdin).toBe('runtime options');
    }
    rmSync(`${path}.pid`);
    rmSync(ran);
    start();
    expect(existsSync(ran)).toBe(true);
    expect(existsSync(join(bundle, '.runtime-options'))).toBe(false);
  });

  test('delete: a container whose address is a named shared shim left nothing, with no node', async () => {
    const path = await sharedServer();
    writeFileSync(join(bundle, 'address'), `unix://${path}`);
    expect(del().nodeRan).toBeUndefined();
    writeFileSync(`${path}.pid`, `${process.pid} 1\n`);
    expect(del().nodeRan).toBeDefined();
  });
});
