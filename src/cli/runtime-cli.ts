// The runc-compatible commands: global options, then one module per command (runtime-commands/). Errors are
// logged as runc logs them and exit 1; state/ps/list print only their JSON. Commands on a container runc created
// for us (a delegated bundle) go to runc unchanged.
import yargs from 'yargs';
import { delegateToRunc } from '../runtime/runc-delegation';
import { StateStore } from '../runtime/state-store';
import { CommandArgs, RuntimeCommand, containerId } from './runtime-commands/command';
import { createCommand, runCommand } from './runtime-commands/create';
import { deleteCommand } from './runtime-commands/delete';
import { execCommand } from './runtime-commands/exec';
import { featuresCommand } from './runtime-commands/features';
import { killCommand } from './runtime-commands/kill';
import { listCommand } from './runtime-commands/list';
import { pauseCommand, resumeCommand } from './runtime-commands/pause';
import { psCommand } from './runtime-commands/ps';
import { specCommand } from './runtime-commands/spec';
import { startCommand } from './runtime-commands/start';
import { stateCommand } from './runtime-commands/state';
import { updateCommand } from './runtime-commands/update';
import { LogFormat, createRuntimeLog } from './runtime-log';
import { RUNCC_VERSION } from './version';

export const DEFAULT_ROOT = '/run/runcc';

const COMMANDS: RuntimeCommand[] = [
  createCommand,
  runCommand,
  startCommand,
  stateCommand,
  killCommand,
  deleteCommand,
  listCommand,
  psCommand,
  pauseCommand,
  resumeCommand,
  updateCommand,
  execCommand,
  specCommand,
  featuresCommand,
];

/** Runs one command: logging set up, runc delegation for containers runcc did not create, errors to exit 1. */
async function invoke(command: RuntimeCommand, argv: CommandArgs, rawArgs: readonly string[]): Promise<never> {
  const log = createRuntimeLog(argv.log, argv['log-format'] as LogFormat, argv.debug);
  let status: number;
  try {
    const store = new StateStore(argv.root);
    if (command.perContainer && argv.id !== undefined && store.isDelegated(containerId(argv))) status = delegateToRunc(rawArgs);
    else status = await command.run(argv, { store, log, rawArgs });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.logger.error(message);
    if (log.toFile) process.stderr.write(`${message}\n`);
    status = 1;
  }
  process.exit(status);
}

export function runRuntimeCli(rawArgs: string[]): void {
  let cli = yargs(rawArgs)
    .scriptName('runcc')
    .usage('$0 [global options] <command>\n\nOCI runtime for Solo5 unikernels, with its own KVM monitor.')
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state', global: true })
    .option('log', { type: 'string', describe: 'log file (default: stderr)', global: true })
    .option('log-format', { choices: ['text', 'json'], default: 'text', global: true })
    .option('debug', { type: 'boolean', default: false, global: true })
    .option('systemd-cgroup', { type: 'boolean', default: false, global: true })
    .option('rootless', { type: 'string', hidden: true, global: true })
    .option('criu', { type: 'string', hidden: true, global: true })
    .command('hvt', 'run a Solo5 hvt unikernel directly, with solo5-hvt options (see `runcc hvt --help`)')
    .command('image', 'build images from unikernels, unpack images into bundles (see `runcc image --help`)')
    .command('install', 'register runcc with docker and/or containerd (see `runcc install --help`)')
    .command('check', 'check that this machine can run unikernel containers (`--json` for scripts)');
  for (const command of COMMANDS) {
    cli = cli.command(command.command, command.describe, command.builder, (parsed) => void invoke(command, parsed as unknown as CommandArgs, rawArgs));
  }
  void cli
    .version(`runcc version ${RUNCC_VERSION}\nspec: 1.2.1`)
    .demandCommand(1, 'name a command')
    .strictCommands()
    .fail((message, error, y) => {
      process.stderr.write(`runcc: ${error ? error.message : message}\n\n${y.help()}\n`);
      process.exit(1);
    })
    .help()
    .parse();
}
