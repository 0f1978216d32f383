import { readFileSync, rmSync } from 'node:fs';
import { stateFile } from './global-setup.mjs';

export default async function globalTeardown() {
  const { pid, dir } = JSON.parse(readFileSync(stateFile, 'utf8'));
  try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}
