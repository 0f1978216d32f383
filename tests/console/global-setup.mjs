// Starts one pitd for the suite (pitd.mjs). Its address, service key and PID go to a state file
// the tests and the teardown read.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPitd } from './pitd.mjs';

export const stateFile = join(tmpdir(), `pitlog-console-tests-${process.pid}.json`);

export default async function globalSetup() {
  const server = await startPitd();
  process.env.PITLOG_CONSOLE_STATE = stateFile;
  writeFileSync(stateFile, JSON.stringify(server));
}
