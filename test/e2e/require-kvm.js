// End-to-end tests run against real, hardware-backed KVM only: refuse to start (rather than skip) elsewhere.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '../..');

module.exports = async () => {
  for (const built of ['dist/cli/runcc-hvt.js', 'dist/scripts/with-kvm.js', 'bundle-examples/build/hello.hvt']) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const { hostHasKvm } = require(join(root, 'dist/scripts/with-kvm.js'));
  if (!hostHasKvm()) {
    throw new Error('end-to-end tests need a hardware-backed /dev/kvm; run them with `npm run test:e2e`, which uses the sandbox VM');
  }
};
