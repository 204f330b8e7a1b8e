// Three projects: unit tests (no KVM); end-to-end tests (real /dev/kvm; `npm test` runs them in the sandbox VM
// when the host has none); and the engine tests (real dockerd, containerd and its CRI service calling runcc, in
// their own sandbox VM run).
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };

module.exports = {
  watchman: false,
  testSequencer: '<rootDir>/test/path-order-sequencer.js',
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform, testEnvironment: 'node' },
    {
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      // Inside the sandbox VM the tree is on 9p and everything runs emulated: crawl only the tests.
      roots: ['<rootDir>/test/e2e'],
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/e2e/require-kvm.js',
    },
    {
      displayName: 'engines',
      testMatch: ['<rootDir>/test/engines/**/*.test.ts'],
      roots: ['<rootDir>/test/engines'],
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/engines/engines-setup.ts',
      globalTeardown: '<rootDir>/test/engines/engines-teardown.ts',
    },
  ],
};
