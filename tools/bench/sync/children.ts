// The processes the benchmark starts: real `atomsync` commands (as the demo
// starts them) and the dump/load pipe of the baseline. Every child is tracked
// so that clean-up can stop it, and its output goes to a log file.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/atomsync.js', import.meta.url));

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  logPath: string;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  running(): boolean;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** Its stdout and stderr, when started with `capture` (the last 1 MB). */
  captured(): string;
}

const CAPTURE_LIMIT = 1 << 20;

export class Children {
  private readonly all = new Set<Child>();
  private closed = false;

  constructor(private readonly logDir: string) {}

  /**
   * Starts `node bin/atomsync.js ...args` (its default log level unless ATOMSYNC_LOG_LEVEL says otherwise), output to `<logDir>/<name>.log`.
   * ATOMSYNC_BENCH_NODE_FLAGS adds flags for node itself, for profiling: `--cpu-prof --cpu-prof-dir=/tmp/prof`
   * (node refuses --cpu-prof in NODE_OPTIONS).
   */
  atomsync(name: string, args: string[], capture = false): Child {
    const flags = (process.env.ATOMSYNC_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    return this.spawn(name, process.execPath, [...flags, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], capture });
  }

  /** Starts any command; its stderr (and stdout unless piped elsewhere) goes to the log. */
  spawn(name: string, command: string, args: string[], opts: SpawnOptions & { keepStdout?: boolean; capture?: boolean } = {}): Child {
    if (this.closed) throw new Error(`not starting ${name}: the bench is cleaning up`);
    const logPath = join(this.logDir, `${name}.log`);
    const log = createWriteStream(logPath);
    const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    if (!opts.keepStdout) proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    let out = '';
    if (opts.capture) {
      const keep = (d: Buffer) => (out = (out + d).slice(-CAPTURE_LIMIT));
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
    }
    // 'close' comes after the output streams end, so captured output is complete.
    const exited = new Promise<number | string>((resolve) => {
      proc.once('error', () => resolve('spawn-error'));
      proc.once('close', (code, signal) => resolve(code ?? signal ?? -1));
    });
    const child: Child = {
      name,
      proc,
      pid: proc.pid ?? -1,
      logPath,
      exited,
      running: () => proc.exitCode === null && proc.signalCode === null,
      captured: () => out,
      tail: (n = 15) => {
        try {
          return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
        } catch {
          return '';
        }
      },
    };
    this.all.add(child);
    void exited.then(() => this.all.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(c: Child, graceMs = 10_000): Promise<number | string> {
    if (c.running()) {
      c.proc.kill('SIGTERM');
      const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
      await c.exited;
      clearTimeout(timer);
    }
    return c.exited;
  }

  /** Clean-up has begun: a phase still running must not start a process nobody will stop. */
  close(): void {
    this.closed = true;
  }

  stopAll(): Promise<unknown> {
    return Promise.all([...this.all].map((c) => this.stop(c)));
  }

  killAll(): void {
    for (const c of this.all) c.proc.kill('SIGKILL');
  }
}

/** Waits for `atomsync publish` to say where it listens; returns the origin (http://host:port). */
export function publisherOrigin(c: Child, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`the publisher did not say where it listens within ${timeoutMs} ms:\n${c.tail()}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = /publishing at (http:\/\/[^/\s]+)/.exec(out);
      if (m) done(null, m[1]);
    };
    const onExit = () => done(new Error(`the publisher exited before listening:\n${c.tail()}`));
    function done(err: Error | null, origin?: string) {
      clearTimeout(timer);
      c.proc.stdout?.off('data', onData);
      c.proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(origin!);
    }
    c.proc.stdout?.on('data', onData);
    c.proc.once('exit', onExit);
  });
}
