// What every runtime command module provides, and what it receives: parsed arguments and the invocation's context.
import { Argv } from 'yargs';
import { validateContainerId } from '../../runtime/container-id';
import { StateStore } from '../../runtime/state-store';
import { RuntimeLog } from '../runtime-log';

export interface GlobalArgs {
  root: string;
  log?: string;
  'log-format': string;
  debug: boolean;
  'systemd-cgroup': boolean;
}

export type CommandArgs = Record<string, unknown> & GlobalArgs;

export interface CommandContext {
  store: StateStore;
  log: RuntimeLog;
  /** runcc's own arguments, unchanged (handed to runc for delegated containers). */
  rawArgs: readonly string[];
}

export interface RuntimeCommand {
  /** yargs command string, e.g. `kill <id> [signal]`. */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  /** False for commands that act on no single container (list, spec, features): never delegated to runc. */
  perContainer: boolean;
  /** Resolves to the exit status. */
  run(argv: CommandArgs, context: CommandContext): Promise<number> | number;
}

export function containerId(argv: Record<string, unknown>): string {
  return validateContainerId(String(argv.id));
}

export function print(text: string): void {
  process.stdout.write(text);
}

export const idPositional = (y: Argv): Argv => y.positional('id', { type: 'string', demandOption: true });
