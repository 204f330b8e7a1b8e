// Which specs a pre-started spare can serve: a monitor cannot change its namespaces once node runs, so a spare
// serves a spec only when, for network, uts and ipc, both join the same path, both create one, or both keep the caller's.
import { spareFits, spareWiredNetns } from '../../../src/runtime/monitor-launch';
import { podSpareNamespaces } from '../../../src/shim/monitor-source';

const OWN = [{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }];
const POD = podSpareNamespaces('/var/run/netns/cni-1');

test.each([
  ['own', OWN, [{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }], true],
  ['own', OWN, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'ipc' }, { type: 'pid', path: '/proc/1/ns/pid' }], true],
  ['own', OWN, undefined, false],
  ['own', OWN, [], false],
  ['own', OWN, [{ type: 'network' }, { type: 'uts' }], false],
  ['own', OWN, [{ type: 'network', path: '/var/run/netns/pod' }, { type: 'uts' }, { type: 'ipc' }], false],
  ['own', OWN, [{ type: 'network' }, { type: 'uts' }, { type: 'ipc', path: '/proc/42/ns/ipc' }], false],
  ['pod', POD, [{ type: 'network', path: '/var/run/netns/cni-1' }, { type: 'uts' }, { type: 'ipc' }, { type: 'mount' }], true],
  ['pod', POD, [{ type: 'network', path: '/var/run/netns/cni-2' }, { type: 'uts' }, { type: 'ipc' }], false],
  ['pod', POD, [{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }], false],
  ['pod', POD, [{ type: 'network', path: '/var/run/netns/cni-1' }, { type: 'uts', path: '/proc/7/ns/uts' }, { type: 'ipc' }], false],
] as const)('a spare in its %s namespaces, a spec with %j: %s', (_, spawnedIn, wanted, fits) => {
  expect(spareFits(spawnedIn as never, wanted as never)).toBe(fits);
});

// A spare with a network namespace of its own serves a spec that joins one when its launcher wires the guest there
// (spareWiredNetns names the namespace); its uts and ipc must still fit.
test.each([
  ['own', OWN, [{ type: 'network', path: '/var/run/netns/pod' }, { type: 'uts' }, { type: 'ipc' }], '/var/run/netns/pod'],
  ['own', OWN, [{ type: 'mount' }, { type: 'network', path: '/var/run/netns/pod' }, { type: 'uts' }, { type: 'ipc' }], '/var/run/netns/pod'],
  ['own', OWN, [{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }], undefined],
  ['own', OWN, [{ type: 'network', path: '/var/run/netns/pod' }, { type: 'uts', path: '/proc/7/ns/uts' }, { type: 'ipc' }], undefined],
  ['own', OWN, [{ type: 'network', path: '/var/run/netns/pod' }, { type: 'uts' }], undefined],
  ['own', OWN, undefined, undefined],
  ['pod', POD, [{ type: 'network', path: '/var/run/netns/other' }, { type: 'uts' }, { type: 'ipc' }], undefined],
  ['the caller\'s', [{ type: 'uts' }, { type: 'ipc' }], [{ type: 'network', path: '/var/run/netns/pod' }, { type: 'uts' }, { type: 'ipc' }], undefined],
] as const)('a spare in its %s namespaces, wired for a spec with %j: %s', (_, spawnedIn, wanted, netns) => {
  expect(spareWiredNetns(spawnedIn as never, wanted as never)).toBe(netns);
});
