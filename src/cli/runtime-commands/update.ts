// `runcc update`: accepted for callers that send it; a running VM keeps the memory it booted with.
import { RuntimeCommand, containerId } from './command';

export const updateCommand: RuntimeCommand = {
  command: 'update <id>',
  describe: 'accept resource updates (a running VM keeps its memory)',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('resources', { alias: 'r', type: 'string' }),
  perContainer: true,
  run: (argv, { store }) => {
    store.load(containerId(argv));
    return 0;
  },
};
