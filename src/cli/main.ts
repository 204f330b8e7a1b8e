#!/usr/bin/env node
// The `runcc` binary. `runcc hvt …` is handed over untouched: its grammar is solo5-hvt's, not yargs'.
import yargs from 'yargs';
import { runHvtCommand } from './hvt-command';
import { RUNCC_VERSION } from './version';

const HVT_COMMAND = 'hvt';

function main(argv: string[]): void {
  if (argv[0] === HVT_COMMAND) {
    runHvtCommand(argv.slice(1), 'runcc hvt');
    return;
  }
  void yargs(argv)
    .scriptName('runcc')
    .usage('$0 <command> [options]\n\nOCI runtime for Solo5 unikernels, with its own KVM monitor.')
    .command(
      `${HVT_COMMAND} [options] [--] KERNEL [ARGS...]`,
      'run a Solo5 hvt unikernel (options as solo5-hvt; see `runcc hvt --help`)',
    )
    .version(RUNCC_VERSION)
    .demandCommand(1, 'name a command')
    .strict()
    .fail((message, error, y) => {
      process.stderr.write(`runcc: ${error ? error.message : message}\n\n${y.help()}\n`);
      process.exit(1);
    })
    .help()
    .parse();
}

main(process.argv.slice(2));
