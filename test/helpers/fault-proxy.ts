// An HTTP proxy that breaks things on purpose, for fault tests: it sits between
// a subscriber and a publisher on 127.0.0.1 and, depending on its mode, passes
// a request through or answers it badly (an error status, a reset, a body cut
// off, a stall, a trickle). The mode can be switched at any time and can hit
// only every n-th request, so a sync makes progress through the faults.
//
// It works at the HTTP level (node:http on both sides), so each request on a
// keep-alive connection is judged on its own; the faults that break the
// connection (reset, cut-off, refuse) then act on the client's socket.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode =
  | 'pass'
  | 'status-500' // answers 500 without asking the publisher
  | 'status-429' // answers 429 with Retry-After: 1
  | 'reset-before' // a TCP reset before any byte of the response
  | 'reset-after' // the headers and some of the body, then a TCP reset
  | 'cut-off' // the headers (with the full Content-Length) and half the body, then a clean close (FIN)
  | 'stall' // reads the request and never answers
  | 'trickle' // the publisher's answer, a few bytes every 100 ms
  | 'refuse'; // every connection and request is reset at once: the publisher looks unreachable

export interface FaultOptions {
  /** Fault one request in `every` (1: all of them). Default 1. */
  every?: number;
  /** Bytes written per 100 ms tick in trickle mode. Default 64. */
  trickleBytes?: number;
  /** The mode takes effect from the first request whose path matches (those before it pass). */
  startAt?: RegExp;
  /** Only requests whose path matches are faulted (the others pass). */
  only?: RegExp;
}

export interface FaultProxy {
  /** The proxy's origin, e.g. http://127.0.0.1:40123 */
  origin: string;
  port: number;
  mode(): FaultMode;
  setMode(mode: FaultMode, o?: FaultOptions): void;
  /** Requests seen, and how many of them were faulted, per mode. */
  stats: { requests: number; faulted: Partial<Record<FaultMode, number>> };
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Starts a proxy on 127.0.0.1:0 forwarding to `target` (an origin such as http://127.0.0.1:8081).
 * `latencyMs` delays every request, as a long link would: it also keeps a catch-up from being
 * over in a moment on a fast machine.
 */
export async function startFaultProxy(target: string, o: { latencyMs?: number } = {}): Promise<FaultProxy> {
  const up = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let current: FaultMode = 'pass';
  let opts: Required<Omit<FaultOptions, 'startAt' | 'only'>> = { every: 1, trickleBytes: 64 };
  let startAt: RegExp | undefined;
  let only: RegExp | undefined;
  let n = 0;
  const stats: FaultProxy['stats'] = { requests: 0, faulted: {} };

  /**
   * The publisher's whole answer, buffered: faults need to know its length. The Host
   * header is passed on unchanged, so the publisher writes the proxy's origin into links.
   */
  const fetchUpstream = (req: http.IncomingMessage) =>
    new Promise<Upstream>((resolve, reject) => {
      const out = http.request(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      req.pipe(out);
    });

  /** The publisher's headers with a fixed Content-Length (the body may be gzip, passed through as is). */
  const headersOf = (u: Upstream) => {
    const h: Record<string, string | string[] | undefined> = { ...u.headers, 'content-length': String(u.body.length) };
    for (const hop of ['transfer-encoding', 'connection', 'keep-alive']) delete h[hop];
    return h;
  };

  const server = http.createServer(async (req, res) => {
    stats.requests++;
    if (startAt?.test(req.url ?? '')) startAt = undefined;
    const faulty = current !== 'pass' && !startAt && (!only || only.test(req.url ?? '')) && ++n % opts.every === 0;
    const mode = faulty ? current : 'pass';
    if (faulty) stats.faulted[mode] = (stats.faulted[mode] ?? 0) + 1;
    const socket = req.socket;
    if (o.latencyMs) await new Promise((r) => setTimeout(r, o.latencyMs));
    switch (mode) {
      case 'status-500':
        return void res.writeHead(500, { 'content-type': 'text/plain' }).end('injected fault\n');
      case 'status-429':
        return void res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' }).end('slow down\n');
      case 'reset-before':
      case 'refuse':
        return void socket.resetAndDestroy();
      case 'stall':
        return; // the client's timeout ends it; close() destroys what is left
      default:
    }
    let u: Upstream;
    try {
      u = await fetchUpstream(req);
    } catch {
      // The publisher is down: the client sees its connection reset, as it would without a proxy.
      return void socket.resetAndDestroy();
    }
    if (mode === 'pass') return void res.writeHead(u.status, headersOf(u)).end(u.body);
    res.writeHead(u.status, headersOf(u));
    if (mode === 'reset-after') {
      res.write(u.body.subarray(0, Math.min(256, u.body.length >> 1)), () => socket.resetAndDestroy());
    } else if (mode === 'cut-off') {
      res.write(u.body.subarray(0, u.body.length >> 1), () => socket.end()); // FIN: a clean close, short of Content-Length
    } else if (mode === 'trickle') {
      let at = 0;
      const step = opts.trickleBytes;
      const tick = setInterval(() => {
        if (socket.destroyed) return void (clearInterval(tick), timers.delete(tick));
        res.write(u.body.subarray(at, (at += step)));
        if (at >= u.body.length) {
          clearInterval(tick);
          timers.delete(tick);
          res.end();
        }
      }, 100);
      timers.add(tick);
    }
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    if (current === 'refuse' && !startAt) return void s.resetAndDestroy();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined); // resets are the point here
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    mode: () => current,
    setMode(mode, o = {}) {
      current = mode;
      opts = { every: o.every ?? 1, trickleBytes: o.trickleBytes ?? 64 };
      startAt = o.startAt;
      only = o.only;
      n = 0;
    },
    stats,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
