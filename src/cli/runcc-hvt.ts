#!/usr/bin/env node
// The `runcc-hvt` binary: a drop-in for `solo5-hvt`.
import './no-debugger-door';
import { runHvtCommand } from './hvt-command';

runHvtCommand(process.argv.slice(2), 'runcc-hvt');
