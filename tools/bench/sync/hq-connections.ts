// HQ's connections while many clinics sync into it: the subscriber's open TCP
// sockets by what they lead to (read from /proc, Linux only), and the sessions
// MariaDB lists in HQ's database other than the bench's own, sampled once a
// second and kept as peaks.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { queryRows } from '../../../shared/db.ts';
import type { Pool } from '../../../shared/db.ts';

export interface SocketCounts {
  /** To MariaDB (port 3306), to Redis (6379), to the clinics' publishers, anything else. */
  mariadb: number;
  redis: number;
  publishers: number;
  other: number;
  /** Publishers with at least one connection open from the subscriber. */
  publishersConnected: number;
}

export interface ConnectionPeaks {
  samples: number;
  /** Largest count seen of each kind (each on its own, not necessarily at the same moment). */
  subscriberSockets: SocketCounts | null;
  /** PROCESSLIST rows whose database is HQ's, less the bench's own connections. */
  hqSessions: number;
  /** The whole server's Threads_connected (every client: the clinics' publishers, the bench, other work on the machine). */
  serverThreads: number;
}

interface TcpSocket {
  localPort: number;
  remotePort: number;
}

const port = (hexAddr: string) => parseInt(hexAddr.split(':')[1] ?? '0', 16);

/** The TCP sockets a process holds open (its fds matched against the namespace's tcp tables), or null without /proc. */
export function tcpSockets(pid: number): TcpSocket[] | null {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
    const out: TcpSocket[] = [];
    for (const table of ['tcp', 'tcp6']) {
      let text = '';
      try {
        text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // sl local_address rem_address st ... inode (field 9); state 0A is a listening socket
        if (f.length > 9 && f[3] !== '0A' && inodes.has(f[9])) out.push({ localPort: port(f[1]), remotePort: port(f[2]) });
      }
    }
    return out;
  } catch {
    return null;
  }
}

export function countSockets(sockets: TcpSocket[], publisherPorts: Set<number>): SocketCounts {
  const c: SocketCounts = { mariadb: 0, redis: 0, publishers: 0, other: 0, publishersConnected: 0 };
  const reached = new Set<number>();
  for (const s of sockets) {
    if (s.remotePort === 3306) c.mariadb++;
    else if (s.remotePort === 6379) c.redis++;
    else if (publisherPorts.has(s.remotePort)) {
      c.publishers++;
      reached.add(s.remotePort);
    } else c.other++;
  }
  c.publishersConnected = reached.size;
  return c;
}

/** Sessions in HQ's database, less those whose client port is one of the bench's own sockets to MariaDB. */
export async function hqSessions(pool: Pool, hqDatabase: string): Promise<number> {
  const own = new Set((tcpSockets(process.pid) ?? []).filter((s) => s.remotePort === 3306).map((s) => s.localPort));
  const rows = await queryRows<{ host: string }>(pool, 'SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE DB = ?', [hqDatabase]);
  return rows.filter((r) => !own.has(Number(r.host.split(':')[1]))).length;
}

/** Samples the subscriber's sockets and HQ's sessions every second until stop(); keeps the peaks. */
export function watchConnections(o: { pool: Pool; hqDatabase: string; subscriberPid: number; publisherPorts: Set<number> }): { stop: () => Promise<ConnectionPeaks> } {
  const peaks: ConnectionPeaks = { samples: 0, subscriberSockets: null, hqSessions: 0, serverThreads: 0 };
  const sample = async () => {
    const sockets = tcpSockets(o.subscriberPid);
    if (sockets) {
      const c = countSockets(sockets, o.publisherPorts);
      const p = (peaks.subscriberSockets ??= { ...c });
      for (const k of Object.keys(c) as Array<keyof SocketCounts>) p[k] = Math.max(p[k], c[k]);
    }
    peaks.hqSessions = Math.max(peaks.hqSessions, await hqSessions(o.pool, o.hqDatabase).catch(() => 0));
    const [t] = await queryRows<{ Value: string }>(o.pool, "SHOW GLOBAL STATUS LIKE 'Threads_connected'").catch(() => []);
    peaks.serverThreads = Math.max(peaks.serverThreads, Number(t?.Value ?? 0));
    peaks.samples++;
  };
  let running = sample();
  const timer = setInterval(() => {
    running = running.then(sample);
  }, 1000);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
      return peaks;
    },
  };
}
