// `runcc state`: the state document, and nothing else, on stdout.
import { liveStatus, stateDocument } from '../../runtime/container-status';
import { RuntimeCommand, containerId, idPositional, print } from './command';

export const stateCommand: RuntimeCommand = {
  command: 'state <id>',
  describe: 'print the state of a container',
  builder: idPositional,
  perContainer: true,
  run: (argv, { store }) => {
    const record = store.load(containerId(argv));
    print(`${JSON.stringify(stateDocument(record, liveStatus(store, record)), null, 2)}\n`);
    return 0;
  },
};
