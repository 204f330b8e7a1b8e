// `runcc list`: runc's table, a JSON array (`null` when empty, as runc prints it), or bare IDs.
import { liveStatus, stateDocument } from '../../runtime/container-status';
import { RuntimeCommand, print } from './command';

export const listCommand: RuntimeCommand = {
  command: 'list',
  describe: 'list containers',
  builder: (y) => y.option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }).option('quiet', { alias: 'q', type: 'boolean', default: false }),
  perContainer: false,
  run: (argv, { store }) => {
    const states = store.ids().map((id) => {
      const record = store.load(id);
      return stateDocument(record, liveStatus(store, record));
    });
    if (argv.quiet) print(states.map((st) => `${st.id}\n`).join(''));
    else if (argv.format === 'json') print(`${states.length ? JSON.stringify(states) : 'null'}\n`);
    else print(['ID\tPID\tSTATUS\tBUNDLE\tCREATED', ...states.map((st) => `${st.id}\t${st.pid}\t${st.status}\t${st.bundle}\t${st.created}`)].join('\n') + '\n');
    return 0;
  },
};
