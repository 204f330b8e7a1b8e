// `runcc delete`: remove a stopped (or created, or with --force any) container and everything runcc made for it.
import { existsSync } from 'node:fs';
import { recordedWiring, unwire } from '../../net/network-teardown';
import { removeCgroupWhenEmpty } from '../cgroup';
import { liveStatus, stateDocument } from '../container-status';
import { runHooks } from '../hooks';
import { isAlive } from '../process-identity';
import { RUNC_ERRORS, RuntimeError } from '../runtime-error';
import { StateStore } from '../state-store';

const KILL_WAIT_MS = 10_000;
const CREATE_WAIT_MS = 30_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Deletes the container; returns warnings (a failed poststop hook does not fail delete). */
export function deleteContainer(store: StateStore, id: string, force: boolean): string[] {
  if (!existsSync(store.dir(id))) {
    if (force) return [];
    throw new RuntimeError(RUNC_ERRORS.notExist);
  }
  let record;
  try {
    record = store.load(id);
  } catch (error) {
    // A directory without readable state is a leftover: remove it.
    store.remove(id);
    if (force) return [];
    throw error;
  }
  let status = liveStatus(store, record);
  if (status === 'creating') {
    if (!force) throw new RuntimeError(`cannot delete container ${id} that is not stopped: creating`);
    // --force: let create finish (or fail, removing the directory itself), then delete what it made.
    const deadline = Date.now() + CREATE_WAIT_MS;
    while (status === 'creating' && Date.now() < deadline) {
      sleep(10);
      if (!existsSync(store.dir(id))) return [];
      record = store.load(id);
      status = liveStatus(store, record);
    }
    if (status === 'creating') throw new RuntimeError(`container ${id}: still being created after ${CREATE_WAIT_MS / 1000} s`);
  }
  if ((status === 'running' || status === 'paused') && !force) {
    throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  const monitor = record.monitor;
  if (monitor && status !== 'stopped') {
    process.kill(monitor.pid, 'SIGKILL');
    const deadline = Date.now() + KILL_WAIT_MS;
    while (isAlive(monitor) && Date.now() < deadline) sleep(10);
    if (isAlive(monitor)) throw new RuntimeError(`container ${id}: the monitor did not die after SIGKILL`);
  }
  const wiring = recordedWiring(store.dir(id));
  // A netns the monitor created died with it, and its TAPs and redirects with it; a joined one outlives it.
  if (wiring.length > 0 && record.netnsPath && existsSync(record.netnsPath)) unwire(wiring, ['nsenter', `--net=${record.netnsPath}`, '--']);
  const warnings: string[] = [];
  if (record.cgroupDir && !removeCgroupWhenEmpty(record.cgroupDir)) warnings.push(`cgroup ${record.cgroupDir} is still in use; left in place`);
  store.remove(id);
  try {
    runHooks('poststop', record.hooks.poststop, stateDocument(record, 'stopped'));
  } catch (error) {
    warnings.push((error as Error).message);
  }
  return warnings;
}
