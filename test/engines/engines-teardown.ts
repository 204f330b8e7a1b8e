// Global teardown of the engine tests: the daemons stopped, their state and bridges removed.
import { stopEngines } from '../../scripts/engines/engine-daemons';

export default stopEngines;
