// The `containerd-shim-runcc-v2` binary: containerd's runtime shim v2 for runtime type io.containerd.runcc.v2.
// `start` and `delete` are short actions containerd runs; without an action it is the long-lived server `start`
// spawns (see src/shim/).
import './no-debugger-door';
import { writeSync } from 'node:fs';
import { SERVE_AT_START_ENV, deleteAction, serveAtStart, startAction } from '../shim/actions';
import { runDaemon } from '../shim/daemon';
import { FlagError, parseShimFlags } from '../shim/flags';
import { DEFAULT_SHIM_OPTIONS, SHIM_OPTIONS_ENV, ShimOptions } from '../shim/shim-options';
import { RUNCC_VERSION } from './version';

const PROG = 'containerd-shim-runcc-v2';

function fail(message: string): never {
  writeSync(2, `${PROG}: ${message}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  let flags;
  try {
    flags = parseShimFlags(argv);
  } catch (error) {
    if (error instanceof FlagError) fail(error.message);
    throw error;
  }
  if (flags.version) {
    writeSync(1, `${PROG}:\n  Version: ${RUNCC_VERSION}\n`);
    return;
  }
  if (!flags.id) fail('-id is required');
  if (flags.action === 'start') {
    // The shell front started this process as the group's server-to-be, in a session of its own.
    if (process.env[SERVE_AT_START_ENV] === '1') {
      delete process.env[SERVE_AT_START_ENV];
      await serveAtStart(flags, RUNCC_VERSION);
      return;
    }
    try {
      writeSync(1, await startAction(flags, process.argv[1]));
    } catch (error) {
      fail((error as Error).message);
    }
    process.exit(0);
  }
  if (flags.action === 'delete') {
    await deleteAction(flags);
    process.exit(0);
  }
  if (!flags.socket) fail('the server needs -socket (containerd runs `start`, which passes it)');
  const options = process.env[SHIM_OPTIONS_ENV] ? (JSON.parse(process.env[SHIM_OPTIONS_ENV]) as ShimOptions) : DEFAULT_SHIM_OPTIONS;
  // Not passed on to the monitors and runc the server starts.
  delete process.env[SHIM_OPTIONS_ENV];
  runDaemon(flags, flags.socket, RUNCC_VERSION, options);
}

void main(process.argv.slice(2));
