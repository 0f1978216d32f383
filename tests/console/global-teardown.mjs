import { readFileSync, rmSync } from 'node:fs';
import { stateFile } from './global-setup.mjs';
import { stopPitd } from './pitd.mjs';

export default async function globalTeardown() {
  await stopPitd(JSON.parse(readFileSync(stateFile, 'utf8')));
  rmSync(stateFile, { force: true });
}
