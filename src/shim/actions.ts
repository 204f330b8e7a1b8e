// The shim binary's two short-lived actions. `start`: find or start the group's daemon, write `address`, print it
// (stdout and stderr are read together as the address: nothing else may be printed). `delete`: clean up one
// container after its shim went away (or after a normal teardown, when nothing is left) and print a binary
// DeleteResponse.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isAlive } from '../runtime/process-identity';
import { groupId, pathOfAddress, sharedSocketPath, socketAddress, socketPath, SOCKET_DIR, writeAddressFile } from './address';
import { DAEMON_READY_FD, runDaemon, tellStarter } from './daemon';
import { ShimFlags } from './flags';
import { encode, timestamp } from './proto/schema';
import { unmountRootfs } from './rootfs-mounts';
import { shimRuncRoot, shimStore } from './shim-paths';
import { SHIM_OPTIONS_ENV, ShimOptions, shimOptionsFromAny } from './shim-options';
import { runcPath } from '../runtime/runc-delegation';

const READY_TIMEOUT_MS = 60_000;
/** Set by the shell front on the node process it starts for `start` (serveAtStart). */
export const SERVE_AT_START_ENV = 'RUNCC_SHIM_SERVE_AT_START';
const PROBE_TIMEOUT_MS = 500;

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function annotations(bundle: string): Record<string, string> {
  try {
    return (JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { annotations?: Record<string, string> }).annotations ?? {};
  } catch {
    return {};
  }
}

/**
 * containerd's runtime options (stdin: an Any, or nothing) and the socket of the group they and the bundle put the
 * container in: the shared shim's for options that say `shared_shim = 1`, else the annotations' group. Options
 * that cannot be read still let the container join its annotations' live server (they configure a new one only).
 */
function optionsAndSocket(flags: ShimFlags, bundle: string): { options: ShimOptions | Error; path: string } {
  const bytes = readFileSync(0);
  let options: ShimOptions | Error;
  try {
    options = shimOptionsFromAny(bytes);
  } catch (error) {
    options = error as Error;
  }
  const shared = !(options instanceof Error) && options.sharedShim === 1;
  const path = shared ? sharedSocketPath(flags.address, flags.namespace, bytes) : socketPath(flags.address, flags.namespace, groupId(annotations(bundle), flags.id));
  return { options, path };
}

/** Joins the server at `path` if one answers there: its address is written in the bundle. */
async function joinLive(path: string, bundle: string): Promise<boolean> {
  if (!existsSync(path) || !(await accepts(path))) return false;
  writeAddressFile(bundle, socketAddress(path));
  return true;
}

/** Whether a live server answers on the group's socket (then joined). A socket nobody answers on is a dead server's: it is removed. */
async function groupServer(path: string, bundle: string): Promise<{ address: string; live: boolean }> {
  const address = socketAddress(path);
  if (await joinLive(path, bundle)) return { address, live: true };
  rmSync(path, { force: true });
  return { address, live: false };
}

/** Returns the address to print; throws with the text containerd shows for a failed start. */
export async function startAction(flags: ShimFlags, entry: string): Promise<string> {
  const bundle = process.cwd();
  const { options, path } = optionsAndSocket(flags, bundle);
  const { address, live } = await groupServer(path, bundle);
  if (live) return address;
  if (options instanceof Error) throw options;
  mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });
  const argv = [entry, '-namespace', flags.namespace, '-id', flags.id, '-address', flags.address, '-publish-binary', flags.publishBinary, '-socket', path];
  if (flags.debug) argv.push('-debug');
  // Its own session, /dev/null for stdio: containerd waits for EOF on start's stdout and stderr.
  const daemon = spawn(process.execPath, argv, {
    cwd: bundle,
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, [SHIM_OPTIONS_ENV]: JSON.stringify(options) },
  });
  const said = await new Promise<string>((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve('error: the shim did not start listening in time'), READY_TIMEOUT_MS);
    const ready = daemon.stdio[DAEMON_READY_FD] as NodeJS.ReadableStream;
    ready.setEncoding('utf8');
    ready.on('data', (chunk: string) => (text += chunk));
    ready.on('end', () => {
      clearTimeout(timer);
      resolve(text.trim() || 'error: the shim exited before it listened');
    });
    daemon.on('error', (error) => resolve(`error: cannot start the shim: ${error.message}`));
  });
  if (said !== 'ready') {
    daemon.kill('SIGKILL');
    // Another `start` made the server of this name meanwhile (two pods at once on a shared shim): join that one.
    if (await joinLive(path, bundle)) return address;
    throw new Error(said.replace(/^error: /, ''));
  }
  daemon.unref();
  writeAddressFile(bundle, address);
  return address;
}

/**
 * `start` through the shell front (src/cli/containerd-shim-runcc-v2.sh): this process is the one node start-up of
 * the call. It answers on fd 3 as the server answers `startAction` (`ready`, or `error: …`), with `address` written
 * in the bundle: a live server of the group there already, and this process exits; else it becomes the group's
 * server, in the session the front gave it.
 */
export async function serveAtStart(flags: ShimFlags, version: string): Promise<void> {
  const bundle = process.cwd();
  const { options, path } = optionsAndSocket(flags, bundle);
  const { address, live } = await groupServer(path, bundle);
  if (live) {
    tellStarter('ready');
    process.exit(0);
  }
  if (options instanceof Error) {
    tellStarter(`error: ${options.message}`);
    process.exit(1);
  }
  mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });
  // The front waits for this process's word: a server that never listens must not keep containerd waiting.
  const guard = setTimeout(() => {
    tellStarter('error: the shim did not start listening in time');
    process.exit(1);
  }, READY_TIMEOUT_MS);
  runDaemon(
    flags,
    path,
    version,
    options,
    () => {
      clearTimeout(guard);
      writeAddressFile(bundle, address);
    },
    async () => {
      const joined = await joinLive(path, bundle);
      if (joined) clearTimeout(guard);
      return joined;
    },
  );
}

/**
 * Cleans up the container `flags.id`: what its monitor, cgroup, network wiring and rootfs mount left, and the
 * group's socket if no server answers there any more (a shim that was killed cannot remove it).
 */
export async function deleteAction(flags: ShimFlags): Promise<void> {
  const bundle = flags.bundle ?? process.cwd();
  // The dead server's socket first: it is quick, and containerd gives this action a few seconds only (5 s in 1.6)
  // before it kills it, which a slow machine can reach in the monitor's and cgroup's clean-up below.
  let address: string | undefined;
  try {
    address = pathOfAddress(readFileSync(join(bundle, 'address'), 'utf8').trim());
  } catch {
    address = undefined;
  }
  if (address?.startsWith(`${SOCKET_DIR}/`) && existsSync(address) && !(await accepts(address))) rmSync(address, { force: true });
  const store = shimStore(flags.namespace);
  let pid = 0;
  const warnings: string[] = [];
  try {
    const record = existsSync(store.dir(flags.id)) ? store.load(flags.id) : undefined;
    if (record?.monitor && isAlive(record.monitor)) pid = record.monitor.pid;
    const { deleteContainer } = require('../runtime/operations/delete') as typeof import('../runtime/operations/delete');
    warnings.push(...deleteContainer(store, flags.id, true));
  } catch (error) {
    warnings.push((error as Error).message);
  }
  // A Linux container of a pod: runc's, if runc has it (quiet when it does not).
  const runcRoot = shimRuncRoot(flags.namespace);
  if (existsSync(join(runcRoot, flags.id))) {
    const runc = spawnSync(runcPath(), ['--root', runcRoot, 'delete', '--force', flags.id], { encoding: 'utf8' });
    if (runc.status !== 0) warnings.push(`runc delete: ${(runc.stderr ?? '').trim()}`);
  }
  unmountRootfs(bundle);
  for (const warning of warnings) process.stderr.write(`${warning}\n`);
  writeSync(1, encode('containerd.task.v2.DeleteResponse', { pid, exit_status: 128 + 9, exited_at: timestamp(new Date()) }));
}

