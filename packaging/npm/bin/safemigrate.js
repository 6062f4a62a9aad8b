#!/usr/bin/env node
// Runs the native safemigrate binary that this package carries (native/safemigrate, with the
// shared libraries it needs in native/lib/) with the same arguments, in the same working folder,
// and ends the way it ended: the same exit code, or the same signal.
'use strict';

const path = require('path');
const os = require('os');
const { spawn } = require('child_process');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    `safemigrate: this npm package carries a binary for Linux on x86-64 only, and this is ` +
      `${process.platform} on ${process.arch}. Build safemigrate from source instead ` +
      `(see docs/install.md in its repository).`
  );
  process.exit(2);
}

const binary = path.join(__dirname, '..', 'native', 'safemigrate');
// Asynchronous, not spawnSync: the launcher must stay alive to pass signals on while the child runs.
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });

// A terminal's Ctrl-C (SIGINT, SIGQUIT) and hangup reach the whole foreground process group, the
// child included: the launcher only waits, so that e.g. `apply` can roll back before it exits.
// SIGTERM is usually sent to this process alone (a CI runner, a container stop): forward it.
const waitOnly = () => {};
const forward = (signal) => child.kill(signal);
for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP']) process.on(signal, waitOnly);
process.on('SIGTERM', forward);

child.on('error', (error) => {
  console.error(`safemigrate: cannot run ${binary}: ${error.message}`);
  process.exit(2);
});

child.on('exit', (code, signal) => {
  if (signal === null) {
    process.exit(code);
  }
  // Die of the same signal, so that the shell and CI see what the child did (e.g. 128+15).
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // A signal that does not end a process by default: end as a shell reports a signal.
  process.exit(128 + (os.constants.signals[signal] || 0));
});
