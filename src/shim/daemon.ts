// The long-lived shim: the ttrpc server containerd dials, serving the Task service for every container of its group,
// publishing events, and going away when Shutdown finds no container left. A failure in one call is that call's
// answer; the process survives it, a guest's crash and a monitor killed under it.
import { chmodSync, closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ShimFlags } from './flags';
import { monitorSource } from './monitor-source';
import { ShimOptions } from './shim-options';
import { EventPublisher } from './publisher';
import { shimRuncRoot, shimStore } from './shim-paths';
import { TASK_SERVICE, TaskService } from './task-service';
import { TtrpcServer } from './ttrpc/server';

/** The fd on which the daemon tells `start` that it listens. */
export const DAEMON_READY_FD = 3;
const DRAIN_MS = 5000;
const SHUTDOWN_LIMIT_MS = 15_000;

function shimLog(bundle: string): (line: string) => void {
  let fd: number | undefined;
  try {
    // containerd holds the FIFO open for reading (O_RDWR) before `start`; non-blocking, so a gone reader never
    // stops the shim.
    fd = openSync(join(bundle, 'log'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    fd = undefined;
  }
  return (line) => {
    if (fd === undefined) return;
    try {
      writeSync(fd, `time="${new Date().toISOString()}" level=warning msg=${JSON.stringify(line)} runtime=io.containerd.runcc.v2\n`);
    } catch {
      // no reader (containerd restarting): the line is lost, the shim goes on
    }
  };
}

/** `listening` runs once the socket accepts, before `start` is told (the server `start` became writes `address`). */
export function runDaemon(flags: ShimFlags, socketPath: string, version: string, options: ShimOptions, listening: () => void = () => {}): void {
  const bundle = process.cwd();
  const log = shimLog(bundle);
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
    rmSync(socketPath, { force: true });
    await Promise.all([publisher.drain(DRAIN_MS), monitors.close()]);
    publisher.close();
    await server.close();
    process.exit(0);
  };
  const tasks = new TaskService({ store: shimStore(flags.namespace), runcRoot: shimRuncRoot(flags.namespace), publisher, monitors, shutdown: () => void shutdown(), log, version });
  server.register(TASK_SERVICE, tasks.methods());
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  server.net.on('error', (error) => {
    tellStarter(`error: cannot listen on ${socketPath}: ${error.message}`);
    process.exit(1);
  });
  server.net.listen(socketPath, () => {
    chmodSync(socketPath, 0o600);
    listening();
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
