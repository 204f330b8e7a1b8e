// The long-lived shim: the ttrpc server containerd dials, serving the Task service for every container of its group,
// publishing events, and going away when Shutdown finds no container left (a shared shim later: shared-shim.ts). A
// failure in one call is that call's answer; the process survives it, a guest's crash and a monitor killed under it.
import { chmodSync, closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ShimFlags } from './flags';
import { monitorSource } from './monitor-source';
import { ShimOptions } from './shim-options';
import { EventPublisher } from './publisher';
import { SharedStay } from './shared-shim';
import { shimRuncRoot, shimStore } from './shim-paths';
import { TASK_SERVICE, TaskService } from './task-service';
import { TtrpcServer } from './ttrpc/server';

/** The fd on which the daemon tells `start` that it listens. */
export const DAEMON_READY_FD = 3;
const DRAIN_MS = 5000;
const SHUTDOWN_LIMIT_MS = 15_000;

/** The shim's log: the `log` FIFO of a bundle, the first one's, or the newest container's once `follow` is called. */
class ShimLog {
  private fd?: number;

  constructor(bundle: string) {
    this.follow(bundle);
  }

  follow(bundle: string): void {
    let fd: number | undefined;
    try {
      // containerd holds the FIFO open for reading (O_RDWR) before `start`; non-blocking, so a gone reader never
      // stops the shim.
      fd = openSync(join(bundle, 'log'), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      return;
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = fd;
  }

  readonly write = (line: string): void => {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `time="${new Date().toISOString()}" level=warning msg=${JSON.stringify(line)} runtime=io.containerd.runcc.v2\n`);
    } catch {
      // no reader (containerd restarting): the line is lost, the shim goes on
    }
  };
}

/**
 * `listening` runs once the socket accepts, before `start` is told (the server `start` became writes `address`);
 * `joinOther`, when another server took the socket's name first.
 */
export function runDaemon(
  flags: ShimFlags,
  socketPath: string,
  version: string,
  options: ShimOptions,
  listening: () => void = () => {},
  /** The name is taken: whether a live server answers there, which `start` then joins (its address written). */
  joinOther?: () => Promise<boolean>,
): void {
  const bundle = process.cwd();
  const shimLog = new ShimLog(bundle);
  const log = shimLog.write;
  const stay: SharedStay | undefined = options.sharedShim
    ? new SharedStay({ socketPath, idleMs: options.sharedShimIdleS * 1000, busy: (): boolean => tasks.size > 0, exit: () => void shutdown() })
    : undefined;
  // A shared shim outlives the bundle it was started in, which containerd removes with that container.
  if (stay) process.chdir('/');
  process.on('uncaughtException', (error) => log(`internal error: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (error) => log(`internal error: ${(error as Error)?.stack ?? String(error)}`));
  const publisher = new EventPublisher(process.env.TTRPC_ADDRESS, flags.namespace, log);
  const server = new TtrpcServer({ log });
  const monitors = monitorSource(options);
  let closing = false;
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    // Whatever still holds the way out (a connection that never ends, a spare that will not die), the shim goes:
    // containerd's Shutdown has been answered, and a shim left behind would hold the group's name.
    setTimeout(() => process.exit(0), SHUTDOWN_LIMIT_MS).unref();
    stay?.close();
    // No new connections, and the socket's name is free at once (closing the listener unlinks it): a `start` that
    // comes now makes a new server there, which a later unlink of ours must not take away.
    server.stopListening();
    await Promise.all([publisher.drain(DRAIN_MS), monitors.close()]);
    publisher.close();
    await server.close();
    process.exit(0);
  };
  const tasks = new TaskService({
    store: shimStore(flags.namespace),
    runcRoot: shimRuncRoot(flags.namespace),
    publisher,
    monitors,
    shutdown: () => (stay ? stay.idle() : void shutdown()),
    created: (taskBundle) => stay && shimLog.follow(taskBundle),
    log,
    version,
  });
  server.register(TASK_SERVICE, tasks.methods());
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  if (stay) server.net.on('connection', () => stay.connected());
  server.net.on('error', (error: NodeJS.ErrnoException) => {
    void (async () => {
      // Another `start` made the server of this name first (two pods at once on a shared shim): join that one.
      if (error.code === 'EADDRINUSE' && joinOther && (await joinOther())) {
        await monitors.close();
        tellStarter('ready');
        process.exit(0);
      }
      tellStarter(`error: cannot listen on ${socketPath}: ${error.message}`);
      process.exit(1);
    })();
  });
  server.net.listen(socketPath, () => {
    chmodSync(socketPath, 0o600);
    listening();
    stay?.listening();
    tellStarter('ready');
  });
}

/** The server's one line to whoever started it, on DAEMON_READY_FD: `ready`, or `error: …`; then the fd is closed. */
export function tellStarter(line: string): void {
  try {
    writeSync(DAEMON_READY_FD, `${line}\n`);
    closeSync(DAEMON_READY_FD);
  } catch {
    // started by hand without the pipe
  }
}
