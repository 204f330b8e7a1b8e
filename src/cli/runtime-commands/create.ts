// `runcc create` and `runcc run` (create + start, in the foreground unless --detach).
import { constants as osConstants } from 'node:os';
import { Argv } from 'yargs';
import { loadBundle } from '../../runtime/bundle';
import { startContainer } from '../../runtime/operations/start';
import { delegateToRunc } from '../../runtime/runc-delegation';
import { resolveUnikernel } from '../../runtime/unikernel';
import { CommandArgs, CommandContext, RuntimeCommand, containerId } from './command';

const createOptions = (y: Argv): Argv =>
  y
    .positional('id', { type: 'string', demandOption: true })
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' })
    .option('pid-file', { type: 'string', describe: 'file to write the monitor pid to' })
    .option('console-socket', { type: 'string', describe: 'unix socket that receives the pty master (terminal containers)' })
    .option('no-pivot', { type: 'boolean', hidden: true })
    .option('no-new-keyring', { type: 'boolean', hidden: true })
    .option('preserve-fds', { type: 'number', hidden: true })
    .option('pidfd-socket', { type: 'string', hidden: true });

async function create(argv: CommandArgs, context: CommandContext, run: boolean): Promise<number> {
  const { store } = context;
  const id = containerId(argv);
  const bundle = loadBundle(String(argv.bundle));
  const unikernel = resolveUnikernel(bundle);
  if (!unikernel) return delegateToRunc(context.rawArgs);
  // Only with --debug: asking for the logger loads winston, which most invocations never need.
  if (argv.debug) context.log.logger.debug(`network format ${unikernel.netFormat}: ${unikernel.netFormatWhy}`);
  // Loaded here, not at the top: it brings koffi (ptys, FIFOs), which no other runtime command needs at start-up.
  const { createContainer } = require('../../runtime/operations/create') as typeof import('../../runtime/operations/create');
  const launched = await createContainer(store, {
    id,
    bundle,
    unikernel,
    pidFile: argv['pid-file'] as string | undefined,
    consoleSocket: argv['console-socket'] as string | undefined,
    detach: !run || Boolean(argv.detach),
    systemdCgroup: argv['systemd-cgroup'],
  });
  if (!run) {
    launched.child.unref();
    return 0;
  }
  const exited = new Promise<number>((done) =>
    launched.child.on('exit', (code, signal) => done(code ?? 128 + (signal ? osConstants.signals[signal] : 0))),
  );
  await startContainer(store, id);
  if (argv.detach) {
    launched.child.unref();
    return 0;
  }
  const status = await exited;
  if (!argv.keep) (require('../../runtime/operations/delete') as typeof import('../../runtime/operations/delete')).deleteContainer(store, id, true);
  return status;
}

export const createCommand: RuntimeCommand = {
  command: 'create <id>',
  describe: 'create a container',
  builder: createOptions,
  perContainer: true,
  run: (argv, context) => create(argv, context, false),
};

export const runCommand: RuntimeCommand = {
  command: 'run <id>',
  describe: 'create and start a container, wait for it, delete it',
  builder: (y) => createOptions(y).option('detach', { alias: 'd', type: 'boolean', default: false }).option('keep', { type: 'boolean', default: false }),
  perContainer: true,
  run: (argv, context) => create(argv, context, true),
};
