// `runcc delete`: removes a container and everything runcc made for it.
import { RuntimeCommand, containerId } from './command';

export const deleteCommand: RuntimeCommand = {
  command: 'delete <id>',
  describe: 'delete a container and everything runcc created for it',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false }),
  perContainer: true,
  run: (argv, { store, log }) => {
    // Loaded on use: undoing the network wiring brings koffi, which `runcc state` and the like never need.
    const { deleteContainer } = require('../../runtime/operations/delete') as typeof import('../../runtime/operations/delete');
    for (const warning of deleteContainer(store, containerId(argv), Boolean(argv.force))) log.logger.warn(warning);
    return 0;
  },
};
