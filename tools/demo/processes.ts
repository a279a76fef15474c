// The atomsync processes the demo starts: each writes its output to a log file of its own,
// and every one of them is stopped when the demo ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/atomsync.js', import.meta.url));

export class DemoProcesses {
  private readonly children: ChildProcess[] = [];

  constructor(readonly logDir: string) {}

  /** Starts `atomsync ...args`, its output going to `<logDir>/<name>.log`. */
  start(name: string, args: string[]): ChildProcess {
    const log = createWriteStream(join(this.logDir, `${name}.log`));
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ATOMSYNC_LOG_LEVEL: 'info' } });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.children.push(child);
    return child;
  }

  /** At once, for a second Ctrl-C. */
  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }

  stopAll(): Promise<void[]> {
    return Promise.all(this.children.map((c) => stopChild(c)));
  }
}

/** The URL a process prints once it listens; given up on only after `patienceS` in which it printed nothing. */
export function waitForUrl(child: ChildProcess, re: RegExp, patienceS: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.stdout!.off('data', onData);
        reject(new Error(`a process the demo started printed nothing for ${patienceS} s before listening`));
      }, patienceS * 1000);
    };
    const onData = (d: Buffer) => {
      out += d;
      quiet();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    quiet();
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`a process the demo started exited (${code}) before listening`));
    });
  });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
