// `runcc exec`: refused — a Solo5 guest runs one application, with nothing to exec into.
import { RuntimeError } from '../../runtime/runtime-error';
import { RuntimeCommand, idPositional } from './command';

export const execCommand: RuntimeCommand = {
  command: 'exec <id>',
  describe: 'not supported for unikernel containers',
  builder: idPositional,
  perContainer: true,
  run: () => {
    throw new RuntimeError('exec is not supported for unikernel containers: a Solo5 guest runs a single application');
  },
};
