// `runcc kill`: a signal (number or name, with or without SIG) to the container's monitor.
import { killContainer } from '../../runtime/operations/kill';
import { RuntimeCommand, containerId } from './command';

export const killCommand: RuntimeCommand = {
  command: 'kill <id> [signal]',
  describe: 'send a signal to the container (default SIGTERM)',
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true })
      .positional('signal', { type: 'string', default: 'SIGTERM' })
      .option('all', { alias: 'a', type: 'boolean', default: false }),
  perContainer: true,
  run: (argv, { store }) => {
    killContainer(store, containerId(argv), String(argv.signal), Boolean(argv.all));
    return 0;
  },
};
