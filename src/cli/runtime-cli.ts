// The runc-compatible commands (create, start, state, kill, delete, run, list, ps, pause, resume, update, spec,
// features, exec). Errors are logged as runc logs them and exit 1; state/ps/list print only their JSON.
import { existsSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import yargs, { Argv } from 'yargs';
import { loadBundle } from '../runtime/bundle';
import { validateContainerId } from '../runtime/container-id';
import { liveStatus, stateDocument } from '../runtime/container-status';
import { featuresDocument } from '../runtime/features';
import { createContainer } from '../runtime/operations/create';
import { deleteContainer } from '../runtime/operations/delete';
import { killContainer, pauseContainer } from '../runtime/operations/kill';
import { startContainer } from '../runtime/operations/start';
import { delegateToRunc } from '../runtime/runc-delegation';
import { RuntimeError } from '../runtime/runtime-error';
import { unikernelSpecTemplate } from '../runtime/spec-template';
import { StateStore } from '../runtime/state-store';
import { resolveUnikernel } from '../runtime/unikernel';
import { RuntimeLog, createRuntimeLog, LogFormat } from './runtime-log';
import { RUNCC_VERSION } from './version';

export const DEFAULT_ROOT = '/run/runcc';

interface GlobalArgs {
  root: string;
  log?: string;
  'log-format': string;
  debug: boolean;
  'systemd-cgroup': boolean;
}

type Action = (argv: Record<string, unknown> & GlobalArgs) => Promise<number> | number;

function print(text: string): void {
  process.stdout.write(text);
}

function containerId(argv: Record<string, unknown>): string {
  return validateContainerId(String(argv.id));
}

export function runRuntimeCli(rawArgs: string[]): void {
  let log: RuntimeLog | undefined;
  let storeRoot = DEFAULT_ROOT;
  const store = (): StateStore => new StateStore(storeRoot);

  /** Wraps a command: logging set up, runc delegation for containers runcc did not create, errors to exit 1. */
  const command = (action: Action, delegated = true) => async (parsed: yargs.ArgumentsCamelCase): Promise<void> => {
    const argv = parsed as unknown as Record<string, unknown> & GlobalArgs;
    log = createRuntimeLog(argv.log, argv['log-format'] as LogFormat, argv.debug);
    storeRoot = argv.root;
    let status: number;
    try {
      if (delegated && argv.id !== undefined && store().isDelegated(containerId(argv))) status = delegateToRunc(rawArgs);
      else status = await action(argv);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.logger.error(message);
      if (log.toFile) process.stderr.write(`${message}\n`);
      status = 1;
    }
    process.exit(status);
  };

  const createOptions = <T>(y: Argv<T>) =>
    y
      .positional('id', { type: 'string', demandOption: true })
      .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' })
      .option('pid-file', { type: 'string', describe: 'file to write the monitor pid to' })
      .option('console-socket', { type: 'string', describe: 'unix socket that receives the pty master (terminal containers)' })
      .option('no-pivot', { type: 'boolean', hidden: true })
      .option('no-new-keyring', { type: 'boolean', hidden: true })
      .option('preserve-fds', { type: 'number', hidden: true })
      .option('pidfd-socket', { type: 'string', hidden: true });

  const create = async (argv: Record<string, unknown> & GlobalArgs, run: boolean): Promise<number> => {
    const id = containerId(argv);
    const bundle = loadBundle(String(argv.bundle));
    const unikernel = resolveUnikernel(bundle);
    if (!unikernel) return delegateToRunc(rawArgs);
    const launched = await createContainer(store(), {
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
    startContainer(store(), id);
    if (argv.detach) {
      launched.child.unref();
      return 0;
    }
    const status = await exited;
    if (!argv.keep) deleteContainer(store(), id, true);
    return status;
  };

  void yargs(rawArgs)
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
    .command('create <id>', 'create a container', createOptions, command((argv) => create(argv, false)))
    .command(
      'run <id>',
      'create and start a container, wait for it, delete it',
      (y) => createOptions(y).option('detach', { alias: 'd', type: 'boolean', default: false }).option('keep', { type: 'boolean', default: false }),
      command((argv) => create(argv, true)),
    )
    .command('start <id>', 'start a created container', (y) => y.positional('id', { type: 'string', demandOption: true }), command((argv) => {
      startContainer(store(), containerId(argv));
      return 0;
    }))
    .command('state <id>', 'print the state of a container', (y) => y.positional('id', { type: 'string', demandOption: true }), command((argv) => {
      const record = store().load(containerId(argv));
      print(`${JSON.stringify(stateDocument(record, liveStatus(store(), record)), null, 2)}\n`);
      return 0;
    }))
    .command(
      'kill <id> [signal]',
      'send a signal to the container (default SIGTERM)',
      (y) => y.positional('id', { type: 'string', demandOption: true }).positional('signal', { type: 'string', default: 'SIGTERM' }).option('all', { alias: 'a', type: 'boolean', default: false }),
      command((argv) => {
        killContainer(store(), containerId(argv), String(argv.signal), Boolean(argv.all));
        return 0;
      }),
    )
    .command(
      'delete <id>',
      'delete a container and everything runcc created for it',
      (y) => y.positional('id', { type: 'string', demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false }),
      command((argv) => {
        for (const warning of deleteContainer(store(), containerId(argv), Boolean(argv.force))) log?.logger.warn(warning);
        return 0;
      }),
    )
    .command(
      'list',
      'list containers',
      (y) => y.option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }).option('quiet', { alias: 'q', type: 'boolean', default: false }),
      command((argv) => {
        const s = store();
        const states = s.ids().map((id) => {
          const record = s.load(id);
          return stateDocument(record, liveStatus(s, record));
        });
        if (argv.quiet) print(states.map((st) => `${st.id}\n`).join(''));
        else if (argv.format === 'json') print(`${states.length ? JSON.stringify(states) : 'null'}\n`);
        else print(['ID\tPID\tSTATUS\tBUNDLE\tCREATED', ...states.map((st) => `${st.id}\t${st.pid}\t${st.status}\t${st.bundle}\t${st.created}`)].join('\n') + '\n');
        return 0;
      }, false),
    )
    .command(
      'ps <id>',
      'list the container’s processes (its monitor)',
      (y) => y.positional('id', { type: 'string', demandOption: true }).option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }),
      command((argv) => {
        const record = store().load(containerId(argv));
        const pids = liveStatus(store(), record) === 'stopped' ? [] : [record.monitor!.pid];
        print(argv.format === 'json' ? `${JSON.stringify(pids)}\n` : `PID\n${pids.join('\n')}\n`);
        return 0;
      }),
    )
    .command('pause <id>', 'pause the container (its VM stops)', (y) => y.positional('id', { type: 'string', demandOption: true }), command((argv) => {
      pauseContainer(store(), containerId(argv), true);
      return 0;
    }))
    .command('resume <id>', 'resume a paused container', (y) => y.positional('id', { type: 'string', demandOption: true }), command((argv) => {
      pauseContainer(store(), containerId(argv), false);
      return 0;
    }))
    .command('update <id>', 'accept resource updates (a running VM keeps its memory)', (y) => y.positional('id', { type: 'string', demandOption: true }).option('resources', { alias: 'r', type: 'string' }), command((argv) => {
      store().load(containerId(argv));
      return 0;
    }))
    .command('exec <id>', 'not supported for unikernel containers', (y) => y.positional('id', { type: 'string', demandOption: true }), command(() => {
      throw new RuntimeError('exec is not supported for unikernel containers: a Solo5 guest runs a single application');
    }))
    .command(
      'spec',
      'write a config.json template for a unikernel bundle',
      (y) => y.option('bundle', { alias: 'b', type: 'string', default: '.' }),
      command((argv) => {
        const path = join(resolve(String(argv.bundle)), 'config.json');
        if (existsSync(path)) throw new RuntimeError('File config.json exists. Remove it first');
        writeFileSync(path, `${JSON.stringify(unikernelSpecTemplate(), null, 2)}\n`);
        return 0;
      }, false),
    )
    .command('features', 'print the runtime features document', (y) => y, command(() => {
      print(`${JSON.stringify(featuresDocument(), null, 2)}\n`);
      return 0;
    }, false))
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
