// Which Host headers the publisher answers to. Without --public-url the Host decides the origin
// written into every link and each cache key, so an arbitrary Host would put a foreign origin into
// a page (and a cache entry per name sent). A request is answered only when its Host names:
//   - the address the client reached, as an IP literal with the port it reached (always true of a
//     client that connected by address, whatever interface the server listens on),
//   - localhost, 127.0.0.1 or [::1] with that port, or with any port when the connection itself comes
//     from this machine (an SSH tunnel or a local proxy listening on another port: the links then
//     lead back through it),
//   - the host of --public-url,
//   - or a name in --allowed-hosts (a name alone also with that port; name:port exactly).
// Anything else is 400. A Host without a port matches the address forms only when the port
// reached is the scheme's default (80, 443). The origin used for links is the Host as matched, in
// lower case, so the names an allowed host can be spelt in add no cache entries either.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import { badRequest } from './http-errors.ts';

export interface HostRuleOptions {
  /** The origin written into links; its host is answered to as well. */
  publicUrl?: string;
  /** More names (or name:port) answered to: what clients and proxies send as Host. */
  allowedHosts?: readonly string[];
}

const HOST_PATTERN = /^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

interface HostName {
  /** Lower case; an IPv6 address in brackets. */
  name: string;
  port: number | undefined;
}

/** `Clinic-A.example.org:08081` -> {name: 'clinic-a.example.org', port: 8081}; null when it is not a host. */
export function parseHost(host: string): HostName | null {
  if (!HOST_PATTERN.test(host)) return null;
  const m = /^(.*?)(?::([0-9]{1,5}))?$/.exec(host)!;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return { name: m[1]!.toLowerCase(), port };
}

/** Checks --allowed-hosts entries: each a host name or address, with an optional port. */
export function parseAllowedHosts(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of entries.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    if (!parseHost(e)) throw new Error(`--allowed-hosts: "${e.slice(0, 64)}" is not a host name (like clinic-a.example.org or 10.0.0.5:8081)`);
    out.push(e);
  }
  return out;
}

const admitted = new WeakMap<IncomingMessage, string>();

export function hostRule(o: HostRuleOptions = {}) {
  const check = hostCheck(o);
  return (req: Request, _res: Response, next: NextFunction) => {
    admitted.set(req, check(req));
    next();
  };
}

/** The rule as a function of a plain request (archive-fast-path.ts): its origin, or a 400 HttpError thrown. */
export function hostCheck(o: HostRuleOptions = {}): (req: IncomingMessage) => string {
  const extra: HostName[] = (o.allowedHosts ?? []).map((h) => parseHost(h)!).filter(Boolean);
  if (o.publicUrl) {
    const u = new URL(o.publicUrl);
    extra.push({ name: u.hostname.toLowerCase(), port: u.port === '' ? undefined : Number(u.port) });
  }
  return (req) => admit(req, extra);
}

/**
 * The origin (scheme, host, port) of this request as the host rule admitted it. A request that
 * did not pass hostRule (a router used on its own) is checked here, against the defaults.
 */
export function originOf(req: Request): string {
  return admitted.get(req) ?? admit(req, []);
}

// Read from the Node request itself, so that a request Express has not seen yet is judged the same
// (Express's req.protocol is this too: the publisher trusts no proxy's X-Forwarded-Proto).
function admit(req: IncomingMessage, extra: readonly HostName[]): string {
  const sent = req.headers.host ?? '';
  const host = parseHost(sent);
  if (!host) throw badRequest('the Host header is not a host name');
  const reached = req.socket.localPort;
  const protocol = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const defaultPort = protocol === 'https' ? 443 : 80;
  const port = host.port ?? defaultPort;
  const addressForms = [...LOOPBACK_NAMES, addressName(req.socket.localAddress)];
  const fromHere = isLoopback(req.socket.remoteAddress);
  const ok =
    (port === reached && addressForms.includes(host.name)) ||
    (fromHere && LOOPBACK_NAMES.includes(host.name)) ||
    extra.some((e) => e.name === host.name && (e.port === undefined ? host.port === undefined || host.port === reached : e.port === port));
  if (!ok) {
    throw badRequest(
      `this publisher does not answer to the host "${sent.slice(0, 100)}"; reach it by its address, or start it with ` +
        '--public-url or --allowed-hosts naming that host',
    );
  }
  return `${protocol}://${host.name}${host.port === undefined ? '' : `:${host.port}`}`;
}

/** A socket's local address as a Host names it: '::ffff:10.0.0.5' -> '10.0.0.5', '::1' -> '[::1]'. */
function addressName(address: string | undefined): string {
  if (!address) return '';
  const v4 = /^::ffff:([0-9.]+)$/i.exec(address);
  if (v4) return v4[1]!;
  return address.includes(':') ? `[${address.toLowerCase()}]` : address;
}

/** A connection from this machine: 127.0.0.0/8 or ::1 (also IPv4-mapped). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || a.startsWith('127.');
}
