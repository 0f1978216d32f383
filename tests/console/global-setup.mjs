// Starts one pitd for the suite: a fresh data dir, a free loopback port, RPC off. Its address,
// service key and PID go to a state file the tests and the teardown read.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const freePort = () => new Promise((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

export const stateFile = join(tmpdir(), `pitlog-console-tests-${process.pid}.json`);

export default async function globalSetup() {
  const pitd = process.env.PITD || new URL('../../build/release/src/server/pitd', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'pitlog-console-'));
  const port = await freePort();
  const log = openSync(join(dir, 'pitd.log'), 'a');
  const child = spawn(pitd, ['--data', join(dir, 'data'), '--http', `127.0.0.1:${port}`, '--rpc', 'off'],
    { stdio: ['ignore', log, log], detached: false });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; ++i) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const key = readFileSync(join(dir, 'data', 'service.key'), 'utf8').split('\n')[0].trim();
  process.env.PITLOG_CONSOLE_STATE = stateFile;
  writeFileSync(stateFile, JSON.stringify({ base, key, pid: child.pid, dir }));
  child.unref();
}
