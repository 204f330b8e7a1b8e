// containerd's Task service (containerd.task.v2.Task) over runcc's runtime: the shim is a front end like the CLI,
// calling the same operations (create, start, kill, pause, delete) on the same state store, with the monitor as its
// child so that it sees each guest's exit at once instead of polling. The lifecycle rules and error texts are the
// runtime's; here they are mapped onto the status codes containerd branches on.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bundle, loadBundle } from '../runtime/bundle';
import { validateContainerId } from '../runtime/container-id';
import { RUNC_ERRORS, RuntimeError } from '../runtime/runtime-error';
import { StateStore } from '../runtime/state-store';
import { resolveUnikernel } from '../runtime/unikernel';
import { MonitorSource } from './monitor-source';
import { METRICS_V2_TYPE, cgroupV2Metrics, oomKills } from './cgroup-metrics';
import { EventPublisher } from './publisher';
import { Timestamp, packAny, timestamp } from './proto/schema';
import { Mount, mountRootfs, unmountRootfs } from './rootfs-mounts';
import { CONTAINER_TYPE_ANNOTATION, Runner, SANDBOX_ID_ANNOTATION, TaskStatus, podNamespaces, podSandboxRunner, runcRunner, unikernelRunner } from './runners';
import { FifoReaders, openStdio } from './stdio';
import { ShimTerminal, openTerminal } from './terminal';
import { Method, typedMethod } from './ttrpc/server';
import { Code, TtrpcError } from './ttrpc/status';

export const TASK_SERVICE = 'containerd.task.v2.Task';

const Status = TaskStatus;
/** How long a terminal task's exit waits for its output to reach the stdout FIFO (runc's shim: 2 s at delete). */
const OUTPUT_DRAIN_MS = 2000;
/** Deleted containers whose exit a late Wait may still ask for. */
const GONE_KEPT = 256;

interface Exit {
  status: number;
  at: Date;
}

interface Task {
  id: string;
  bundle: string;
  pid: number;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  /** A terminal task's pty and its copies to and from containerd's FIFOs. */
  console?: ShimTerminal;
  /** The read ends kept on the output FIFOs while the task exists (a gone client never breaks the console). */
  readers?: FifoReaders;
  runner: Runner;
  /** A pod sandbox's network namespace (CNI's pinned file), for the pod's containers. */
  netns?: string;
  oomBaseline: number;
  exit?: Exit;
  exited: Promise<Exit>;
}

export interface TaskServiceOptions {
  store: StateStore;
  /** runc's --root for the pod's Linux containers. */
  runcRoot: string;
  publisher: EventPublisher;
  /** Where monitors come from: a pool of pre-started spares, or none (spawned per create). */
  monitors: MonitorSource;
  /** Called when Shutdown finds no task left: the server goes. */
  shutdown: () => void;
  /** A task was created from this bundle (a shared shim's log follows the newest container). */
  created?: (bundle: string) => void;
  log: (line: string) => void;
  version: string;
}

interface IdRequest {
  id: string;
  exec_id: string;
}

/** runtime errors → the codes containerd's callers branch on (NotFound, AlreadyExists, FailedPrecondition). */
function statusOf(error: unknown): TtrpcError {
  if (error instanceof TtrpcError) return error;
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof RuntimeError) {
    if (message === RUNC_ERRORS.notExist) return new TtrpcError(Code.NOT_FOUND, message);
    if (message === RUNC_ERRORS.exists) return new TtrpcError(Code.ALREADY_EXISTS, message);
    if (message === RUNC_ERRORS.notRunning) return new TtrpcError(Code.NOT_FOUND, 'process already finished: not found');
    if (/^cannot (start|delete)|not paused|still running/.test(message)) return new TtrpcError(Code.FAILED_PRECONDITION, message);
    return new TtrpcError(Code.UNKNOWN, message);
  }
  return new TtrpcError(Code.UNKNOWN, message);
}

const noExec = (what: string): TtrpcError => new TtrpcError(Code.UNIMPLEMENTED, `${what} is not supported for unikernel containers: a unikernel is one process with no shell to run another in`);

export class TaskService {
  private readonly tasks = new Map<string, Task>();
  private readonly gone = new Map<string, Exit & { pid: number }>();

  /** Creates under way: their task is not in `tasks` until their awaits are done, yet the shim must not go meanwhile. */
  private creating = 0;

  constructor(private readonly options: TaskServiceOptions) {}

  /** Tasks held, and tasks being created. */
  get size(): number {
    return this.tasks.size + this.creating;
  }

  methods(): Record<string, Method> {
    const t = 'containerd.task.v2.';
    const empty = 'google.protobuf.Empty';
    return {
      Create: typedMethod(`${t}CreateTaskRequest`, `${t}CreateTaskResponse`, async (r: CreateRequest) => {
        this.creating++;
        try {
          return await this.create(r);
        } finally {
          this.creating--;
        }
      }),
      Start: typedMethod(`${t}StartRequest`, `${t}StartResponse`, (r: IdRequest) => this.start(r)),
      State: typedMethod(`${t}StateRequest`, `${t}StateResponse`, (r: IdRequest) => this.state(r)),
      Kill: typedMethod(`${t}KillRequest`, empty, (r: IdRequest & { signal: number; all: boolean }) => this.kill(r)),
      Wait: typedMethod(`${t}WaitRequest`, `${t}WaitResponse`, (r: IdRequest) => this.wait(r)),
      Delete: typedMethod(`${t}DeleteRequest`, `${t}DeleteResponse`, (r: IdRequest) => this.delete(r)),
      Pids: typedMethod(`${t}PidsRequest`, `${t}PidsResponse`, (r: IdRequest) => this.pids(r)),
      Connect: typedMethod(`${t}ConnectRequest`, `${t}ConnectResponse`, (r: IdRequest) => ({
        shim_pid: process.pid,
        task_pid: this.tasks.get(r.id)?.pid ?? 0,
        version: this.options.version,
      })),
      Shutdown: typedMethod(`${t}ShutdownRequest`, empty, () => {
        // Other containers of the group still use this shim (or are being created in it): containerd sends
        // Shutdown after each one's Delete.
        if (this.size === 0) setImmediate(() => this.options.shutdown());
        return {};
      }),
      Stats: typedMethod(`${t}StatsRequest`, `${t}StatsResponse`, (r: IdRequest) => this.stats(r)),
      Pause: typedMethod(`${t}PauseRequest`, empty, (r: IdRequest) => this.pause(r, true)),
      Resume: typedMethod(`${t}ResumeRequest`, empty, (r: IdRequest) => this.pause(r, false)),
      CloseIO: typedMethod(`${t}CloseIORequest`, empty, (r: IdRequest & { stdin: boolean }) => this.closeIO(r)),
      ResizePty: typedMethod(`${t}ResizePtyRequest`, empty, (r: IdRequest & { width: number; height: number }) => this.resizePty(r)),
      // As `runcc update`: accepted; a running VM keeps the memory it booted with.
      Update: typedMethod(`${t}UpdateTaskRequest`, empty, (r: IdRequest) => (this.task(r), {})),
      Exec: typedMethod(`${t}ExecProcessRequest`, empty, () => {
        throw noExec('exec');
      }),
      Checkpoint: typedMethod(`${t}CheckpointTaskRequest`, empty, () => {
        throw new TtrpcError(Code.UNIMPLEMENTED, 'checkpoint is not supported for unikernel containers');
      }),
    };
  }

  private task(request: IdRequest): Task {
    if (request.exec_id) throw new TtrpcError(Code.NOT_FOUND, `process ${request.exec_id}: not found (unikernel containers have no exec processes)`);
    const task = this.tasks.get(request.id);
    if (!task) throw new TtrpcError(Code.NOT_FOUND, `container ${request.id}: not found`);
    return task;
  }

  private async create(request: CreateRequest): Promise<{ pid: number }> {
    const id = validateContainerId(request.id);
    if (this.tasks.has(id)) throw new TtrpcError(Code.ALREADY_EXISTS, `container ${id}: already exists`);
    if (request.checkpoint) throw new TtrpcError(Code.UNIMPLEMENTED, 'restoring a checkpoint is not supported for unikernel containers');
    mountRootfs(request.bundle, request.rootfs);
    let runner: Runner | undefined;
    let stdio;
    let console: ShimTerminal | undefined;
    let netns: string | undefined;
    let settle: (exit: Exit) => void = () => {};
    const exited = new Promise<Exit>((resolve) => (settle = resolve));
    let onExit: (status: number) => void = () => {};
    const reportExit = (status: number): void => onExit(status);
    try {
      const bundle = loadBundle(request.bundle);
      this.joinPod(bundle);
      const unikernel = resolveUnikernel(bundle);
      if (!unikernel && bundle.spec.annotations?.[CONTAINER_TYPE_ANNOTATION] === 'sandbox') {
        netns = bundle.spec.linux?.namespaces?.find((ns) => ns.type === 'network')?.path;
        runner = podSandboxRunner(reportExit);
        // The pod's first unikernel container will find a monitor already booted in the pod's network namespace.
        if (netns) this.options.monitors.podCreated(id, netns);
      } else {
        if (unikernel && request.terminal) {
          console = openTerminal(request.stdin, request.stdout);
          runner = await unikernelRunner(this.options.store, id, bundle, unikernel, {}, this.options.monitors, reportExit, console.slave);
        } else {
          stdio = openStdio(request.stdout, request.stderr, request.terminal);
          runner = unikernel
            ? await unikernelRunner(this.options.store, id, bundle, unikernel, stdio.stdio, this.options.monitors, reportExit)
            : await runcRunner(this.options.runcRoot, id, bundle, stdio.stdio, reportExit);
        }
      }
    } catch (error) {
      stdio?.close();
      stdio?.readers.release();
      console?.close();
      unmountRootfs(request.bundle);
      throw statusOf(error);
    }
    stdio?.close();
    // The monitor holds the slave now: the master reads EIO when it is gone.
    console?.closeSlave();
    const cgroupDir = runner.cgroupDir;
    const task: Task = {
      id,
      bundle: request.bundle,
      pid: runner.pid,
      stdin: request.stdin,
      stdout: request.stdout,
      stderr: request.stderr,
      terminal: request.terminal,
      console,
      readers: stdio?.readers,
      runner,
      netns,
      oomBaseline: cgroupDir ? oomKills(cgroupDir) : 0,
      exited,
    };
    onExit = (status) => {
      const at = new Date();
      // ctr stops reading stdout once Wait returns: what the pty still holds is copied first (bounded).
      if (!task.console) return this.exited(task, status, settle, at);
      const bound = new Promise<void>((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS).unref());
      void Promise.race([task.console.drained, bound]).then(() => this.exited(task, status, settle, at));
    };
    this.tasks.set(id, task);
    this.gone.delete(id);
    this.options.created?.(request.bundle);
    this.options.publisher.publish('/tasks/create', 'containerd.events.TaskCreate', {
      container_id: id,
      bundle: request.bundle,
      rootfs: request.rootfs,
      io: { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal },
      checkpoint: request.checkpoint,
      pid: task.pid,
    });
    return { pid: task.pid };
  }

  /**
   * A container of a pod whose sandbox this shim holds: its namespace paths name the shim's pid (CRI's sandbox pid);
   * they are mapped to the sandbox's and written back, so that runcc and runc read the same config.json. The sandbox
   * is the one its CRI annotation names (a shared shim serves several pods), else the shim's only one.
   */
  private joinPod(bundle: Bundle): void {
    const sandboxId = bundle.spec.annotations?.[SANDBOX_ID_ANNOTATION];
    const sandboxes = [...this.tasks.values()].filter((t) => t.runner.kind === 'pod-sandbox');
    const sandbox = sandboxId ? sandboxes.find((t) => t.id === sandboxId) : sandboxes.length === 1 ? sandboxes[0] : undefined;
    if (podNamespaces(bundle, sandbox?.netns)) writeFileSync(join(bundle.path, 'config.json'), JSON.stringify(bundle.spec));
  }

  /** The monitor is gone: state first, then waiters, then the event (the order containerd's callers rely on). */
  private exited(task: Task, status: number, settle: (exit: Exit) => void, at: Date): void {
    const exit = { status, at };
    task.exit = exit;
    const cgroupDir = task.runner.cgroupDir;
    if (cgroupDir && oomKills(cgroupDir) > task.oomBaseline) {
      this.options.publisher.publish('/tasks/oom', 'containerd.events.TaskOOM', { container_id: task.id });
    }
    settle(exit);
    this.options.publisher.publish('/tasks/exit', 'containerd.events.TaskExit', {
      container_id: task.id,
      id: task.id,
      pid: task.pid,
      exit_status: status,
      exited_at: timestamp(exit.at),
    });
  }

  private async start(request: IdRequest): Promise<{ pid: number }> {
    const task = this.task(request);
    if (task.exit) throw new TtrpcError(Code.FAILED_PRECONDITION, 'cannot start a container that has stopped');
    try {
      await task.runner.start();
    } catch (error) {
      throw statusOf(error);
    }
    this.options.publisher.publish('/tasks/start', 'containerd.events.TaskStart', { container_id: task.id, pid: task.pid });
    return { pid: task.pid };
  }

  private status(task: Task): number {
    return task.exit ? Status.STOPPED : task.runner.status();
  }

  private state(request: IdRequest): object {
    const task = this.task(request);
    return {
      id: task.id,
      bundle: task.bundle,
      pid: task.pid,
      status: this.status(task),
      stdin: task.stdin,
      stdout: task.stdout,
      stderr: task.stderr,
      terminal: task.terminal,
      exit_status: task.exit?.status ?? 0,
      exited_at: task.exit ? timestamp(task.exit.at) : undefined,
    };
  }

  private async kill(request: IdRequest & { signal: number; all: boolean }): Promise<object> {
    const task = this.task(request);
    if (task.exit) throw new TtrpcError(Code.NOT_FOUND, 'process already finished: not found');
    try {
      await task.runner.kill(request.signal || 15, request.all);
    } catch (error) {
      throw statusOf(error);
    }
    return {};
  }

  private async wait(request: IdRequest): Promise<{ exit_status: number; exited_at: Timestamp }> {
    const gone = this.gone.get(request.id);
    if (gone && !this.tasks.has(request.id) && !request.exec_id) return { exit_status: gone.status, exited_at: timestamp(gone.at) };
    const exit = await this.task(request).exited;
    return { exit_status: exit.status, exited_at: timestamp(exit.at) };
  }

  private async delete(request: IdRequest): Promise<object> {
    const task = this.task(request);
    const status = this.status(task);
    if (status !== Status.STOPPED && status !== Status.CREATED) {
      throw new TtrpcError(Code.FAILED_PRECONDITION, `cannot delete container ${task.id} that is not stopped: ${status === Status.PAUSED ? 'paused' : 'running'}`);
    }
    let warnings: string[];
    try {
      warnings = await task.runner.remove();
    } catch (error) {
      throw statusOf(error);
    }
    for (const warning of warnings) this.options.log(`${task.id}: ${warning}`);
    if (task.runner.kind === 'pod-sandbox') await this.options.monitors.podRemoved(task.id);
    task.console?.close();
    task.readers?.release();
    unmountRootfs(task.bundle);
    // A created task killed by delete has exited by now or soon; its status is the signal's.
    const exit = task.exit ?? { status: 128 + 9, at: new Date() };
    this.tasks.delete(task.id);
    this.gone.set(task.id, { ...exit, pid: task.pid });
    // A shared shim lives through many containers: the oldest deleted ones are forgotten (Map order is insertion).
    if (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.keys().next().value as string);
    this.options.publisher.publish('/tasks/delete', 'containerd.events.TaskDelete', {
      container_id: task.id,
      pid: task.pid,
      exit_status: exit.status,
      exited_at: timestamp(exit.at),
    });
    return { pid: task.pid, exit_status: exit.status, exited_at: timestamp(exit.at) };
  }

  private pids(request: IdRequest): object {
    const task = this.task(request);
    return { processes: task.exit ? [] : [{ pid: task.pid }] };
  }

  private stats(request: IdRequest): object {
    const task = this.task(request);
    const metrics = task.runner.cgroupDir ? cgroupV2Metrics(task.runner.cgroupDir) : undefined;
    // NOT_FOUND is what CRI skips quietly; any other type than the cgroups Metrics would break stats node-wide.
    if (!metrics) throw new TtrpcError(Code.NOT_FOUND, `container ${task.id}: no cgroup v2 metrics (no cgroup, or a cgroup v1 host)`);
    return { stats: packAny(METRICS_V2_TYPE, metrics) };
  }

  private closeIO(request: IdRequest & { stdin: boolean }): object {
    const task = this.task(request);
    if (request.stdin) task.console?.closeStdin();
    return {};
  }

  /**
   * A task with no pty (FIFOs), or one whose guest has exited: a no-op, as runc's shim answers for a process without
   * a console. A client sends its size when the task starts, and a guest may be gone by then.
   */
  private resizePty(request: IdRequest & { width: number; height: number }): object {
    const task = this.task(request);
    if (!task.console || task.exit || !task.console.open) return {};
    try {
      task.console.resize({ columns: request.width, rows: request.height });
    } catch (error) {
      throw new TtrpcError(Code.FAILED_PRECONDITION, `cannot resize the terminal of ${task.id}: ${(error as Error).message}`);
    }
    return {};
  }

  private async pause(request: IdRequest, pause: boolean): Promise<object> {
    const task = this.task(request);
    if (task.exit) throw new TtrpcError(Code.NOT_FOUND, 'process already finished: not found');
    try {
      await task.runner.pause(pause);
    } catch (error) {
      throw statusOf(error);
    }
    if (pause) this.options.publisher.publish('/tasks/paused', 'containerd.events.TaskPaused', { container_id: task.id });
    else this.options.publisher.publish('/tasks/resumed', 'containerd.events.TaskResumed', { container_id: task.id });
    return {};
  }
}

interface CreateRequest {
  id: string;
  bundle: string;
  rootfs: Mount[];
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  checkpoint: string;
}
