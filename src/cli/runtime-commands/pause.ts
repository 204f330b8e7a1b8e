// `runcc pause` and `runcc resume`: stop and continue the monitor, and so the VM.
import { pauseContainer } from '../../runtime/operations/kill';
import { RuntimeCommand, containerId, idPositional } from './command';

export const pauseCommand: RuntimeCommand = {
  command: 'pause <id>',
  describe: 'pause the container (its VM stops)',
  builder: idPositional,
  perContainer: true,
  run: (argv, { store }) => {
    pauseContainer(store, containerId(argv), true);
    return 0;
  },
};

export const resumeCommand: RuntimeCommand = {
  command: 'resume <id>',
  describe: 'resume a paused container',
  builder: idPositional,
  perContainer: true,
  run: (argv, { store }) => {
    pauseContainer(store, containerId(argv), false);
    return 0;
  },
};
