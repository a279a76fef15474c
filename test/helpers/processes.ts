// Real atomsync processes for end-to-end tests: publishers and subscribers on
// ephemeral ports, each a child process of the test, killed when it ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/atomsync.js', import.meta.url));
const live = new Set<ChildProcess>();

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function atomsync(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ATOMSYNC_LOG_LEVEL: process.env.ATOMSYNC_TEST_LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a command to completion within timeoutMs. */
export async function run(args: string[], timeoutMs = 120_000, env: Record<string, string> = {}): Promise<{ code: number | string; out: string }> {
  const p = atomsync(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.output() };
}

/** Starts `atomsync publish` and waits until it says where it listens. */
export async function startPublisher(dbUrl: string, opts: { port?: number; users?: string; pageSize?: number; extra?: string[] } = {}) {
  const p = atomsync([
    'publish', '--db', dbUrl, '--port', String(opts.port ?? 0), '--users', opts.users ?? 'hq:hq-secret,hq2:hq2-secret,field-b:b-secret',
    '--page-size', String(opts.pageSize ?? 50), ...(opts.extra ?? []),
  ]);
  const url = await waitForOutput(p, /publishing at (http:\/\/[^/\s]+)/, 20_000);
  return { ...p, url, port: Number(new URL(url).port) };
}

export async function waitForOutput(p: Proc, re: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = re.exec(p.output());
    if (m) return m[1];
    if (p.child.exitCode !== null) throw new Error(`process exited early:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${re}:\n${p.output()}`);
}

/** Polls `check` until it returns true or the time is up. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
}
