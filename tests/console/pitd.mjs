// Starts and stops a pitd for the browser tests: a fresh data dir, a free loopback port, RPC
// off; stopped by its PID. `clockFile` runs it under libfaketime (Debian's `faketime` package)
// with its wall clock offset by what the file says ("+0", "-100d", "+130"), read at every call:
// the only way to see an old token or an expired sign-in link without waiting for them. The
// monotonic clock stays real, so pitd's timers (idle connections, the scheduler) are untouched.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const kFakeTimeLibrary = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
export const defaultPitd = () =>
  process.env.PITD || new URL('../../build/release/src/server/pitd', import.meta.url).pathname;

const freePort = () => new Promise((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

// Resolves {base, key, pid, dir} once /healthz answers; throws when it does not within 10 s.
// `args`: more of pitd's flags (e.g. --webhooks-allow-private).
export async function startPitd({ clockFile, args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pitlog-console-'));
  const port = await freePort();
  const log = openSync(join(dir, 'pitd.log'), 'a');
  const env = { ...process.env };
  if (clockFile) {
    if (!existsSync(kFakeTimeLibrary)) throw new Error(`${kFakeTimeLibrary} not found: install Debian's faketime package`);
    Object.assign(env, { LD_PRELOAD: kFakeTimeLibrary, FAKETIME_TIMESTAMP_FILE: clockFile,
                         FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1',
                         // A pitd built with ASan refuses to start when a preloaded library
                         // comes before its runtime; libfaketime only wraps the clock calls.
                         ASAN_OPTIONS: ['verify_asan_link_order=0', env.ASAN_OPTIONS].filter(Boolean).join(':') });
  }
  const child = spawn(defaultPitd(), ['--data', join(dir, 'data'), '--http', `127.0.0.1:${port}`, '--rpc', 'off', ...args],
    { stdio: ['ignore', log, log], env });
  child.unref();
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; ++i) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) {
        const key = readFileSync(join(dir, 'data', 'service.key'), 'utf8').split('\n')[0].trim();
        return { base, key, pid: child.pid, dir };
      }
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = readFileSync(join(dir, 'pitd.log'), 'utf8').slice(-2000);
  await stopPitd({ pid: child.pid, dir });
  throw new Error(`pitd did not answer /healthz within 10 s; its log ends:\n${tail}`);
}

// Stops it and removes its data dir; throws, keeping the dir, when its log holds a sanitizer's
// report (a pitd built with ASan/UBSan reports there, leaks at exit included).
export async function stopPitd({ pid, dir }) {
  try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  for (let i = 0; i < 200; ++i) {
    try { process.kill(pid, 0); } catch { break; }  // gone
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = existsSync(join(dir, 'pitd.log')) ? readFileSync(join(dir, 'pitd.log'), 'utf8') : '';
  const report = log.search(/ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:/);
  if (report >= 0) throw new Error(`pitd's log (${join(dir, 'pitd.log')}) holds a sanitizer report:\n${log.slice(report, report + 3000)}`);
  rmSync(dir, { recursive: true, force: true });
}

// Sets the offset of a pitd started with `clockFile` (libfaketime's relative format).
export const setClock = (clockFile, offset) => writeFileSync(clockFile, `${offset}\n`);
