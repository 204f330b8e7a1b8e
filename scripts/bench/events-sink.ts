// containerd's Events service for the benches' shim (shim-driver.ts), in a process of its own as containerd's is:
// `node events-sink.js SOCKET` answers every Forward and prints "listening" once it accepts connections.
import { encode } from '../../src/shim/proto/schema';
import { TtrpcServer } from '../../src/shim/ttrpc/server';

const socket = process.argv[2];
const events = new TtrpcServer();
events.register('containerd.services.events.ttrpc.v1.Events', { Forward: () => encode('google.protobuf.Empty', {}) });
events.net.listen(socket, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
