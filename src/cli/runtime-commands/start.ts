// `runcc start`: opens the start gate of a created container.
import { startContainer } from '../../runtime/operations/start';
import { RuntimeCommand, containerId, idPositional } from './command';

export const startCommand: RuntimeCommand = {
  command: 'start <id>',
  describe: 'start a created container',
  builder: idPositional,
  perContainer: true,
  run: async (argv, { store }) => {
    await startContainer(store, containerId(argv));
    return 0;
  },
};
