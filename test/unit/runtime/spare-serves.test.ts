// Which specs a pre-started spare can serve: it has new network, uts and ipc namespaces of its own and can join none.
import { spareServes } from '../../../src/runtime/operations/create';

test.each([
  [undefined, true],
  [[], true],
  [[{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }], true],
  [[{ type: 'mount' }, { type: 'pid', path: '/proc/1/ns/pid' }], true],
  [[{ type: 'network', path: '/var/run/netns/pod' }], false],
  [[{ type: 'network' }, { type: 'ipc', path: '/proc/42/ns/ipc' }], false],
  [[{ type: 'uts', path: '/proc/42/ns/uts' }], false],
] as const)('%j: %s', (namespaces, served) => {
  expect(spareServes(namespaces as never)).toBe(served);
});
