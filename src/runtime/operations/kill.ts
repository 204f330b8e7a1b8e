// `runcc kill`: deliver a signal to the container's monitor (SIGTERM/SIGINT stop the guest; SIGKILL as usual).
import { constants } from 'node:os';
import { liveStatus } from '../container-status';
import { RUNC_ERRORS, RuntimeError } from '../runtime-error';
import { StateStore } from '../state-store';

/** A signal given as a number, NAME or SIGNAME (any case), as runc accepts it. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    if (number > 0 && number < 65) return number;
  } else {
    const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
    const number = (constants.signals as Record<string, number>)[name];
    if (number !== undefined) return number;
  }
  throw new RuntimeError(`unknown signal "${text}"`);
}

export function killContainer(store: StateStore, id: string, signalText: string, all: boolean): void {
  const signal = parseSignal(signalText);
  const record = store.load(id);
  const status = liveStatus(store, record);
  if (status === 'stopped' || status === 'creating') {
    if (all) return;
    throw new RuntimeError(RUNC_ERRORS.notRunning);
  }
  try {
    process.kill(record.monitor!.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new RuntimeError(RUNC_ERRORS.notRunning);
    throw error;
  }
}

/** `runcc pause` / `resume`: the VM stops with its monitor (SIGSTOP) and goes on with it (SIGCONT). */
export function pauseContainer(store: StateStore, id: string, pause: boolean): void {
  const record = store.load(id);
  const status = liveStatus(store, record);
  if (pause && status !== 'running') throw new RuntimeError(RUNC_ERRORS.notRunning);
  if (!pause && status !== 'paused') throw new RuntimeError('container not paused');
  process.kill(record.monitor!.pid, pause ? 'SIGSTOP' : 'SIGCONT');
}
