#!/usr/bin/env node
// The `runcc` binary. `runcc hvt …` is handed over untouched (its grammar is solo5-hvt's, not yargs'); `runcc
// image …` has its own commands; everything else is the runc-compatible runtime.
import { runHvtCommand } from './hvt-command';
import { runImageCommand } from './image-command';
import { runInstallCommand } from './install-command';
import { runRuntimeCli } from './runtime-cli';

const HVT_COMMAND = 'hvt';
const IMAGE_COMMAND = 'image';
const INSTALL_COMMAND = 'install';

function main(argv: string[]): void {
  if (argv[0] === HVT_COMMAND) {
    runHvtCommand(argv.slice(1), 'runcc hvt');
    return;
  }
  if (argv[0] === INSTALL_COMMAND) {
    runInstallCommand(argv.slice(1));
    return;
  }
  if (argv[0] === IMAGE_COMMAND) {
    runImageCommand(argv.slice(1));
    return;
  }
  runRuntimeCli(argv);
}

main(process.argv.slice(2));
