#!/usr/bin/env node
// The `runcc` binary. `runcc hvt …` is handed over untouched: its grammar is solo5-hvt's, not yargs'.
import { runHvtCommand } from './hvt-command';
import { runRuntimeCli } from './runtime-cli';

const HVT_COMMAND = 'hvt';

function main(argv: string[]): void {
  if (argv[0] === HVT_COMMAND) {
    runHvtCommand(argv.slice(1), 'runcc hvt');
    return;
  }
  runRuntimeCli(argv);
}

main(process.argv.slice(2));
