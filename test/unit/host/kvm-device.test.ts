import { KvmProbe, hostHasKvm, kvmKind } from '../../../src/host/kvm-device';

function probe(openError: string | undefined, modules: string[]): KvmProbe {
  return {
    openKvm: () => {
      if (openError) throw Object.assign(new Error(openError), { code: openError });
    },
    moduleLoaded: (name) => modules.includes(name),
  };
}

test.each([
  [undefined, ['kvm', 'kvm_amd'], 'hardware'],
  [undefined, ['kvm', 'kvm_intel'], 'hardware'],
  [undefined, ['kvm_pvm'], 'paravirtual'],
  ['ENOENT', [], 'absent'],
  ['EACCES', ['kvm_intel'], 'no-access'],
] as const)('open error %s with modules %j is %s', (error, modules, kind) => {
  expect(kvmKind(probe(error, [...modules]))).toBe(kind);
  expect(hostHasKvm(probe(error, [...modules]))).toBe(kind === 'hardware');
});
