// The Task service over ttrpc without KVM: a pod sandbox (the kind that runs no process), the codes containerd
// branches on, Shutdown only once no task is left (nor one being created), and the shim's command line.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { groupId, socketPath } from '../../../src/shim/address';
import { parseShimFlags } from '../../../src/shim/flags';
import { MonitorSource, monitorSource } from '../../../src/shim/monitor-source';
import { DEFAULT_SHIM_OPTIONS } from '../../../src/shim/shim-options';
import { decode, encode } from '../../../src/shim/proto/schema';
import { EventPublisher } from '../../../src/shim/publisher';
import { StateStore } from '../../../src/runtime/state-store';
import { TASK_SERVICE, TaskService } from '../../../src/shim/task-service';
import { TtrpcClient } from '../../../src/shim/ttrpc/client';
import { TtrpcServer } from '../../../src/shim/ttrpc/server';
import { Code } from '../../../src/shim/ttrpc/status';

const T = 'containerd.task.v2.';

describe('the Task service', () => {
  let dir: string;
  let server: TtrpcServer;
  let client: TtrpcClient;
  let shutdowns = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shim-task-'));
    const bundle = join(dir, 'sandbox');
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2',
      root: { path: 'rootfs' },
      process: { args: ['/pause'], cwd: '/' },
      annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'sandbox' },
      linux: { namespaces: [{ type: 'network', path: '/var/run/netns/cni-1' }] },
    }));
    server = new TtrpcServer();
    const tasks = new TaskService({
      store: new StateStore(join(dir, 'state')),
      runcRoot: join(dir, 'runc'),
      publisher: new EventPublisher(undefined, 'k8s.io', () => {}),
      monitors: monitorSource({ ...DEFAULT_SHIM_OPTIONS, podSpare: 0 }),
      shutdown: () => shutdowns++,
      log: () => {},
      version: 'test',
    });
    server.register(TASK_SERVICE, tasks.methods());
    await new Promise<void>((resolve) => server.net.listen(join(dir, 's'), resolve));
    client = await TtrpcClient.connect(join(dir, 's'));
  });
  afterAll(async () => {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async <R>(method: string, request: object, type: string, response = 'google.protobuf.Empty'): Promise<R> =>
    decode<R>(response.includes('.') ? response : T + response, await client.call(TASK_SERVICE, method, encode(T + type, request)));
  const failure = (promise: Promise<unknown>): Promise<{ code: number; message: string }> => promise.then(() => ({ code: 0, message: '' }), (e) => e);

  it('holds a pod sandbox with no process: its pid is the shim, signals end it as they end a pause process', async () => {
    const bundle = join(dir, 'sandbox');
    expect(await call('Create', { id: 'sandbox', bundle }, 'CreateTaskRequest', 'CreateTaskResponse')).toEqual({ pid: process.pid });
    expect(await call('Connect', { id: 'sandbox' }, 'ConnectRequest', 'ConnectResponse')).toEqual({ shim_pid: process.pid, task_pid: process.pid, version: 'test' });
    expect(await call('State', { id: 'sandbox' }, 'StateRequest', 'StateResponse')).toMatchObject({ status: 1, pid: process.pid, exited_at: null });
    const waited = call<{ exit_status: number; exited_at: { seconds: number } }>('Wait', { id: 'sandbox' }, 'WaitRequest', 'WaitResponse');
    await call('Start', { id: 'sandbox' }, 'StartRequest', 'StartResponse');
    expect(await call('State', { id: 'sandbox' }, 'StateRequest', 'StateResponse')).toMatchObject({ status: 2 });
    expect(await call<{ processes: unknown[] }>('Pids', { id: 'sandbox' }, 'PidsRequest', 'PidsResponse')).toEqual({ processes: [{ pid: process.pid, info: null }] });
    expect(await failure(call('Stats', { id: 'sandbox' }, 'StatsRequest', 'StatsResponse'))).toMatchObject({ code: Code.NOT_FOUND });
    await call('Kill', { id: 'sandbox', signal: 15 }, 'KillRequest');
    const exit = await waited;
    expect(exit.exit_status).toBe(0);
    expect(exit.exited_at.seconds).toBeGreaterThan(1_600_000_000);
    expect(await call('State', { id: 'sandbox' }, 'StateRequest', 'StateResponse')).toMatchObject({ status: 3, exit_status: 0 });
    expect(await failure(call('Kill', { id: 'sandbox', signal: 9, all: true }, 'KillRequest'))).toEqual(expect.objectContaining({ code: Code.NOT_FOUND, message: 'process already finished: not found' }));
    expect(await failure(call('Exec', { id: 'sandbox', exec_id: 'e1' }, 'ExecProcessRequest'))).toMatchObject({ code: Code.UNIMPLEMENTED, message: expect.stringMatching(/not supported for unikernel containers/) });
  });

  it('keeps running at Shutdown while a task is left, and goes once none is', async () => {
    await call('Shutdown', { id: 'sandbox' }, 'ShutdownRequest');
    await new Promise((resolve) => setImmediate(resolve));
    expect(shutdowns).toBe(0);
    expect(await call('Delete', { id: 'sandbox' }, 'DeleteRequest', 'DeleteResponse')).toMatchObject({ pid: process.pid, exit_status: 0 });
    expect(await failure(call('State', { id: 'sandbox' }, 'StateRequest', 'StateResponse'))).toMatchObject({ code: Code.NOT_FOUND });
    expect(await call('Connect', { id: 'sandbox' }, 'ConnectRequest', 'ConnectResponse')).toMatchObject({ task_pid: 0 });
    await call('Shutdown', { id: 'sandbox' }, 'ShutdownRequest');
    await new Promise((resolve) => setImmediate(resolve));
    expect(shutdowns).toBe(1);
  });

  it('refuses a bundle that is no container with a message, and keeps nothing of it', async () => {
    const answer = await failure(call('Create', { id: 'broken', bundle: join(dir, 'nowhere') }, 'CreateTaskRequest', 'CreateTaskResponse'));
    expect(answer).toMatchObject({ code: Code.UNKNOWN, message: expect.stringMatching(/config\.json not found/) });
    expect(await failure(call('State', { id: 'broken' }, 'StateRequest', 'StateResponse'))).toMatchObject({ code: Code.NOT_FOUND });
    expect(await failure(call('Create', { id: '../x', bundle: dir }, 'CreateTaskRequest', 'CreateTaskResponse'))).toMatchObject({ message: 'invalid container ID format' });
  });
});

describe('Shutdown while a Create is under way', () => {
  it('does not end the shim: the container being created is one of its tasks until its create is done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shim-creating-'));
    const bundle = join(dir, 'slow');
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    copyFileSync(resolve(__dirname, '../../../bundle-examples/build/hello.hvt'), join(bundle, 'rootfs/hello.hvt'));
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['/hello.hvt'], cwd: '/' }, linux: {} }));
    // The create waits for a spare until the test lets it fail.
    let asked!: () => void;
    const takeAsked = new Promise<void>((resolved) => (asked = resolved));
    let fail!: (error: Error) => void;
    const monitors: MonitorSource = {
      take: () => {
        asked();
        return new Promise((_, reject) => (fail = reject));
      },
      podCreated: () => {},
      podRemoved: async () => {},
      close: async () => {},
    };
    let shutdowns = 0;
    const server = new TtrpcServer();
    const tasks = new TaskService({ store: new StateStore(join(dir, 'state')), runcRoot: join(dir, 'runc'), publisher: new EventPublisher(undefined, 'default', () => {}), monitors, shutdown: () => shutdowns++, log: () => {}, version: 'test' });
    server.register(TASK_SERVICE, tasks.methods());
    await new Promise<void>((resolved) => server.net.listen(join(dir, 's'), resolved));
    const client = await TtrpcClient.connect(join(dir, 's'));
    const call = async (method: string, request: object, type: string): Promise<Buffer> => client.call(TASK_SERVICE, method, encode(T + type, request));
    try {
      const creating = call('Create', { id: 'slow', bundle }, 'CreateTaskRequest').then(() => 'created', (error: Error) => error.message);
      await takeAsked;
      await call('Shutdown', { id: 'other' }, 'ShutdownRequest');
      await new Promise((resolved) => setImmediate(resolved));
      expect({ shutdowns, size: tasks.size }).toEqual({ shutdowns: 0, size: 1 });
      fail(new Error('no spare'));
      expect(await creating).toMatch(/no spare/);
      await call('Shutdown', { id: 'slow' }, 'ShutdownRequest');
      await new Promise((resolved) => setImmediate(resolved));
      expect({ shutdowns, size: tasks.size }).toEqual({ shutdowns: 1, size: 0 });
    } finally {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the shim command line and its group socket', () => {
  it('parses containerd start and delete invocations in Go flag syntax', () => {
    expect(parseShimFlags(['-namespace', 'k8s.io', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'abc', '-debug', 'start'])).toMatchObject({
      namespace: 'k8s.io', address: '/run/containerd/containerd.sock', id: 'abc', debug: true, action: 'start',
    });
    expect(parseShimFlags(['-namespace=default', '-id=x', '-bundle', '/b', 'delete'])).toMatchObject({ namespace: 'default', id: 'x', bundle: '/b', action: 'delete' });
    expect(() => parseShimFlags(['-nope', 'start'])).toThrow('flag provided but not defined: -nope');
    expect(() => parseShimFlags(['-id'])).toThrow('flag needs an argument: -id');
    expect(() => parseShimFlags(['-id', 'x', 'exec'])).toThrow('unknown action "exec"');
  });

  it('puts a pod in one socket, named as the runc shim names it, within the socket path limit', () => {
    expect(groupId({ 'io.kubernetes.cri.sandbox-id': 'pod1' }, 'c1')).toBe('pod1');
    expect(groupId({ 'io.containerd.runcc.v2.group': 'g', 'io.kubernetes.cri.sandbox-id': 'pod1' }, 'c1')).toBe('g');
    expect(groupId({}, 'c1')).toBe('c1');
    const path = socketPath('/run/containerd/containerd.sock', 'k8s.io', 'pod1');
    expect(path).toMatch(/^\/run\/containerd\/s\/[0-9a-f]{64}$/);
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(106);
    expect(socketPath('/run/containerd/containerd.sock', 'k8s.io', 'pod2')).not.toBe(path);
  });
});
