#!/usr/bin/env node
// The `runcc` binary. `runcc hvt …` is handed over untouched (its grammar is solo5-hvt's, not yargs'); `runcc
// image …` has its own commands; everything else is the runc-compatible runtime.
// Each front end is loaded only when asked for: start-up time counts on every call a container engine makes.

const HVT_COMMAND = 'hvt';
const IMAGE_COMMAND = 'image';
const INSTALL_COMMAND = 'install';
const CHECK_COMMAND = 'check';

function main(argv: string[]): void {
  if (argv[0] === HVT_COMMAND) {
    require('./no-debugger-door');
    (require('./hvt-command') as typeof import('./hvt-command')).runHvtCommand(argv.slice(1), 'runcc hvt');
    return;
  }
  if (argv[0] === INSTALL_COMMAND) {
    (require('./install-command') as typeof import('./install-command')).runInstallCommand(argv.slice(1));
    return;
  }
  if (argv[0] === CHECK_COMMAND) {
    (require('./check-command') as typeof import('./check-command')).runCheckCommand(argv.slice(1));
    return;
  }
  if (argv[0] === IMAGE_COMMAND) {
    (require('./image-command') as typeof import('./image-command')).runImageCommand(argv.slice(1));
    return;
  }
  (require('./runtime-cli') as typeof import('./runtime-cli')).runRuntimeCli(argv);
}

main(process.argv.slice(2));
