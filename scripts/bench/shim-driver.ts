// A containerd shim server of this build driven as containerd drives it, for the benches: spawned as `start` spawns
// it (its options in the environment, its word on fd 3), its Task service called over ttrpc by a client of ours,
// its events received by a ttrpc Events service in another process (events-sink.ts), standing in for containerd's.
// Nothing here is asserted.
import { ChildProcess, spawn } from 'node:child_process';
import { constants, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { makeFifo } from '../../src/ffi/fifo';
import { ProcessIdentity, identify } from '../../src/runtime/process-identity';
import { decode, encode } from '../../src/shim/proto/schema';
import { ShimOptions } from '../../src/shim/shim-options';
import { TtrpcClient } from '../../src/shim/ttrpc/client';

const SHIM = join(__dirname, '../../../dist/cli/containerd-shim-runcc-v2.js');
const TASK = 'containerd.task.v2.Task';
const T = 'containerd.task.v2.';
const EVENTS_SINK = join(__dirname, 'events-sink.js');
const NAMESPACE = 'runcc-bench';

/** A bundle as `ctr run` makes one for a unikernel: the namespaces containerd's default spec asks for, a cgroup, a limit. */
export function shimBundle(dir: string, kernel: string, id: string, memoryLimitMiB: number): void {
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  copyFileSync(kernel, join(dir, 'rootfs/unikernel.hvt'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    ociVersion: '1.2.1',
    root: { path: 'rootfs' },
    process: { args: ['/unikernel.hvt'], cwd: '/' },
    linux: {
      cgroupsPath: `/${NAMESPACE}/${id}`,
      namespaces: ['pid', 'ipc', 'uts', 'mount', 'network'].map((type) => ({ type })),
      resources: { memory: { limit: memoryLimitMiB * 1024 * 1024 } },
    },
  }));
}

export interface RunTimes {
  /** From Create until Create answered, until the guest's first output, until Wait answered its exit. */
  createMs: number;
  runningMs: number;
  exitedMs: number;
  /** The task's process, read when Create answered. */
  monitor: ProcessIdentity | undefined;
}

export class ShimDriver {
  private constructor(
    private readonly work: string,
    private readonly server: ChildProcess,
    private readonly events: ChildProcess,
    private readonly client: TtrpcClient,
  ) {}

  /** Starts a shim server with `options` and connects to it. */
  static async start(options: ShimOptions): Promise<ShimDriver> {
    const work = mkdtempSync('/run/runcc-bench-shim-');
    const eventsSocket = join(work, 'containerd.sock.ttrpc');
    const events = spawn(process.execPath, [EVENTS_SINK, eventsSocket], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      events.stdout!.once('data', () => resolve());
      events.once('exit', (status) => reject(new Error(`the events sink exited with ${status}`)));
    });
    const socket = join(work, 'shim.sock');
    const server = spawn(process.execPath, [SHIM, '-namespace', NAMESPACE, '-id', 'bench', '-address', join(work, 'containerd.sock'), '-publish-binary', '/bin/true', '-socket', socket], {
      cwd: work,
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
      env: { ...process.env, RUNCC_SHIM_OPTIONS: JSON.stringify(options), TTRPC_ADDRESS: eventsSocket, RUNCC_SHIM_ROOT: join(work, 'state') },
    });
    const said = await new Promise<string>((resolve) => {
      let text = '';
      const ready = server.stdio[3] as Socket;
      ready.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      ready.on('end', () => resolve(text.trim()));
    });
    if (said !== 'ready') throw new Error(`the shim did not start: ${said}`);
    return new ShimDriver(work, server, events, await TtrpcClient.connect(socket));
  }

  get pid(): number {
    return this.server.pid ?? -1;
  }

  async call<R>(method: string, request: object, requestType: string, responseType = 'google.protobuf.Empty'): Promise<R> {
    const answer = await this.client.call(TASK, method, encode(T + requestType, request));
    return decode<R>(responseType.includes('.') ? responseType : T + responseType, answer);
  }

  /**
   * Create and Start of a container of `bundle`, its stdout a FIFO as containerd's, then Wait and Delete.
   */
  async run(id: string, bundle: string): Promise<RunTimes> {
    const fifo = join(this.work, `${id}.stdout`);
    makeFifo(fifo);
    const stdout = new Socket({ fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
    try {
      let runningMs = 0;
      const started = process.hrtime.bigint();
      const since = (): number => Number(process.hrtime.bigint() - started) / 1e6;
      const firstOutput = new Promise<void>((resolve) => stdout.once('data', () => ((runningMs = since()), resolve())));
      const { pid } = await this.call<{ pid: number }>('Create', { id, bundle, stdout: fifo }, 'CreateTaskRequest', 'CreateTaskResponse');
      const createMs = since();
      const monitor = identify(pid);
      const waited = this.call<{ exit_status: number }>('Wait', { id }, 'WaitRequest', 'WaitResponse');
      await this.call('Start', { id }, 'StartRequest', 'StartResponse');
      await firstOutput;
      const { exit_status: status } = await waited;
      const exitedMs = since();
      if (status !== 0) throw new Error(`${id} exited with ${status}`);
      await this.call('Delete', { id }, 'DeleteRequest', 'DeleteResponse');
      return { createMs, runningMs, exitedMs, monitor };
    } finally {
      stdout.destroy();
      rmSync(fifo, { force: true });
    }
  }

  async close(): Promise<void> {
    const gone = new Promise((resolve) => this.server.once('exit', resolve));
    try {
      await this.call('Shutdown', { id: 'bench' }, 'ShutdownRequest');
    } catch {
      // it may close the connection before it answers
    }
    const timer = setTimeout(() => this.server.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
    this.client.close();
    this.events.kill('SIGTERM');
    rmSync(this.work, { recursive: true, force: true });
  }
}
