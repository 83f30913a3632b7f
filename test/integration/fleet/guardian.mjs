#!/usr/bin/env node
// Leaves nothing behind: started detached beside a test's brokers, it waits for the test process to go
// (even by SIGKILL, which no handler sees), then kills the brokers it was given and removes their
// directory. A test that stops its brokers itself stops the guardian too.
//   node guardian.mjs PARENT_PID DIR PID...

import { rmSync } from 'node:fs';

const POLL_MS = 1000;
const [parent, dir, ...pids] = process.argv.slice(2);
const alive = (pid) => {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
};
setInterval(() => {
  if (alive(parent)) return;
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  if (dir && dir !== '-') rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}, POLL_MS);
