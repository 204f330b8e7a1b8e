// `runcc delete`: removes a container and everything runcc made for it.
import { deleteContainer } from '../../runtime/operations/delete';
import { RuntimeCommand, containerId } from './command';

export const deleteCommand: RuntimeCommand = {
  command: 'delete <id>',
  describe: 'delete a container and everything runcc created for it',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('force', { alias: 'f', type: 'boolean', default: false }),
  perContainer: true,
  run: (argv, { store, log }) => {
    for (const warning of deleteContainer(store, containerId(argv), Boolean(argv.force))) log.logger.warn(warning);
    return 0;
  },
};
