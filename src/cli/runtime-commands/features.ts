// `runcc features`: the runtime-spec features document.
import { featuresDocument } from '../../runtime/features';
import { RuntimeCommand, print } from './command';

export const featuresCommand: RuntimeCommand = {
  command: 'features',
  describe: 'print the runtime features document',
  builder: (y) => y,
  perContainer: false,
  run: () => {
    print(`${JSON.stringify(featuresDocument(), null, 2)}\n`);
    return 0;
  },
};
