// `runcc start`: open the start gate of a created container, then run poststart hooks.
import { liveStatus, stateDocument } from '../container-status';
import { runHooks } from '../hooks';
import { isAlive } from '../process-identity';
import { RuntimeError } from '../runtime-error';
import { openStartGate } from '../start-gate';
import { StateStore } from '../state-store';

export async function startContainer(store: StateStore, id: string): Promise<void> {
  const record = store.load(id);
  const hooks = record.hooks;
  const status = liveStatus(store, record);
  if (status === 'stopped') throw new RuntimeError('cannot start a container that has stopped');
  if (status === 'running') throw new RuntimeError('cannot start an already running container');
  if (status !== 'created') throw new RuntimeError(`cannot start a container in the ${status} state`);
  const pid = record.monitor!.pid;
  runHooks('startContainer', hooks?.startContainer, stateDocument(record, 'created'), ['nsenter', `--net=/proc/${pid}/ns/net`, '--']);
  const monitor = record.monitor!;
  await openStartGate(store.dir(id), () => isAlive(monitor));
  try {
    runHooks('poststart', hooks?.poststart, stateDocument(record, 'running'));
  } catch (error) {
    process.kill(pid, 'SIGKILL');
    throw error;
  }
}
