// Prints each test as it finishes and each file as it starts, with the time, so a run that hangs or is killed by
// its time limit still shows where it stood (jest's own verbose output appears only when a file ends).
class ProgressReporter {
  onTestFileStart(test) {
    this.log(`start ${relative(test.path)}`);
  }

  onTestCaseResult(test, result) {
    this.log(`${result.status} ${relative(test.path)}: ${result.fullName} (${result.duration ?? 0} ms)`);
    // A failure's first lines at once: the file's own report may come much later, or never (a run out of time).
    for (const message of result.failureMessages ?? []) {
      process.stderr.write(`${message.split('\n').slice(0, 12).map((line) => `    ${line}`).join('\n')}\n`);
    }
  }

  log(line) {
    process.stderr.write(`[progress ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  }
}

function relative(path) {
  return path.slice(process.cwd().length + 1);
}

module.exports = ProgressReporter;
