// `runcc ps`: the container's processes — its monitor, while it lives.
import { liveStatus } from '../../runtime/container-status';
import { RuntimeCommand, containerId, print } from './command';

export const psCommand: RuntimeCommand = {
  command: 'ps <id>',
  describe: 'list the container’s processes (its monitor)',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }).option('format', { alias: 'f', choices: ['table', 'json'], default: 'table' }),
  perContainer: true,
  run: (argv, { store }) => {
    const record = store.load(containerId(argv));
    const status = liveStatus(store, record);
    const pids = status === 'stopped' || status === 'creating' ? [] : [record.monitor!.pid];
    print(argv.format === 'json' ? `${JSON.stringify(pids)}\n` : `PID\n${pids.join('\n')}\n`);
    return 0;
  },
};
