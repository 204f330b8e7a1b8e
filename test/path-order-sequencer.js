// Runs test files in the order of their paths. jest's default orders by the durations in its cache, which a fresh
// CI machine does not have: the order there would differ from every run before it. One order everywhere makes a
// run here what CI runs.
const Sequencer = require('@jest/test-sequencer').default;

class PathOrderSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

module.exports = PathOrderSequencer;
