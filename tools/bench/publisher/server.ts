// The publisher under test, either in a child process (default: it gets an event
// loop of its own, as it would in production) or inline in the benchmark process.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../shared/logger.ts';
import { Publisher } from '../../../publisher/publisher.ts';
import { round } from '../stats.ts';

export interface ServeOptions {
  dbUrl: string;
  pageSize: number;
  users: Array<[string, string]>;
}

export interface Usage {
  cpu: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
}

export type ChildRequest = { type: 'start'; options: ServeOptions } | { type: 'usage' } | { type: 'stop' };
export type ChildReply =
  | { type: 'ready'; url: string }
  | { type: 'error'; message: string }
  | { type: 'usage'; usage: Usage };

export interface BenchServer {
  url: string;
  mode: 'child' | 'inline';
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

/** CPU milliseconds and event-loop busy share between two usage readings. */
export function usageBetween(a: Usage, b: Usage): { cpuMs: number; eventLoopBusy: number } {
  const active = b.elu.active - a.elu.active;
  const idle = b.elu.idle - a.elu.idle;
  return {
    cpuMs: round((b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1000),
    eventLoopBusy: active + idle > 0 ? round(active / (active + idle), 3) : 0,
  };
}

const ownUsage = (): Usage => ({ cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() });

export async function startBenchServer(o: ServeOptions, mode: 'child' | 'inline', startTimeoutMs = 30_000): Promise<BenchServer> {
  if (mode === 'inline') {
    const publisher = new Publisher(
      { dbUrl: o.dbUrl, port: 0, host: '127.0.0.1', users: new Map(o.users), pageSize: o.pageSize, noRelay: true },
      silentLogger,
    );
    const url = await publisher.start();
    return { url, mode, usage: async () => ownUsage(), stop: () => publisher.stop() };
  }
  // The child inherits this process's --import tsx through execArgv.
  const child = fork(fileURLToPath(new URL('./serve-child.ts', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    child.send({ type: 'start', options: o } satisfies ChildRequest);
    const first = await nextReply(child, startTimeoutMs);
    if (first.type !== 'ready') throw new Error(`publisher child did not start: ${first.type === 'error' ? first.message : first.type}`);
    return {
      url: first.url,
      mode,
      async usage() {
        child.send({ type: 'usage' } satisfies ChildRequest);
        const m = await nextReply(child, 5000);
        if (m.type !== 'usage') throw new Error(`publisher child answered ${m.type} to a usage request`);
        return m.usage;
      },
      stop: () => stopChild(child),
    };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

function nextReply(child: ChildProcess, timeoutMs: number): Promise<ChildReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`publisher child silent for ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: ChildReply) => done(null, m);
    const onExit = (code: number | null) => done(new Error(`publisher child exited (${code})`));
    const done = (err: Error | null, m?: ChildReply) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Asks the child to stop its publisher; kills it if it has not exited within 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' } satisfies ChildRequest);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
