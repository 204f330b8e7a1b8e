// Entry of `runcc hvt` and the `runcc-hvt` binary: solo5-hvt's grammar, messages and exit codes.
import { writeSync } from 'node:fs';
import { hvtMain } from '../monitor/hvt-main';
import { exitMonitor } from '../monitor/monitor-exit';
import { SECCOMP_ENV, SECCOMP_MODES, seccompMode } from '../seccomp/seccomp-filter';
import { RUNCC_VERSION } from './version';

function writeStderr(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(2, bytes, done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}

/** Runs the monitor with `argv` (everything after `hvt`) and exits with its status. */
export function runHvtCommand(argv: readonly string[], prog: string): void {
  const seccomp = seccompMode(process.env[SECCOMP_ENV]);
  if (seccomp === undefined) {
    writeStderr(`${prog}: ${SECCOMP_ENV}=${process.env[SECCOMP_ENV]}: expected one of ${SECCOMP_MODES.join(', ')}\n`);
    process.exit(1);
  }
  hvtMain(argv, {
    prog,
    version: RUNCC_VERSION,
    writeStderr,
    exit: (code) => process.exit(code),
    seccomp,
  }).then(exitMonitor);
}
