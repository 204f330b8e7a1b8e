// `runcc start`: open the start gate of a created container, then run poststart hooks.
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { liveStatus, stateDocument } from '../container-status';
import { runHooks } from '../hooks';
import { RuntimeError } from '../runtime-error';
import { START_FIFO, StateStore } from '../state-store';

export function startContainer(store: StateStore, id: string): void {
  const record = store.load(id);
  const hooks = record.hooks;
  const status = liveStatus(store, record);
  if (status === 'stopped') throw new RuntimeError('cannot start a container that has stopped');
  if (status === 'running') throw new RuntimeError('cannot start an already running container');
  if (status !== 'created') throw new RuntimeError(`cannot start a container in the ${status} state`);
  const pid = record.monitor!.pid;
  runHooks('startContainer', hooks?.startContainer, stateDocument(record, 'created'), ['nsenter', `--net=/proc/${pid}/ns/net`, '--']);
  // A non-blocking reader releases the monitor, which is blocked opening the FIFO for writing.
  const fifo = join(store.dir(id), START_FIFO);
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  unlinkSync(fifo);
  closeSync(fd);
  try {
    runHooks('poststart', hooks?.poststart, stateDocument(record, 'running'));
  } catch (error) {
    process.kill(pid, 'SIGKILL');
    throw error;
  }
}
