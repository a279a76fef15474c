// What a failed start means to the person who ran the command, in one line that says
// what is wrong and what to do: the database server is down, the credentials or the
// database name are wrong, atomsync's tables are missing, a port is taken. Messages
// name the user, host, port and database, never a password.
import { parseDbUrl } from './db.ts';

/** A start-up failure explained; `code` is the driver's or the system's (ECONNREFUSED, ER_NO_SUCH_TABLE, EADDRINUSE). */
export class StartError extends Error {
  override name = 'StartError';
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server cannot be reached at all: wrong host or port, or nothing listening there. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST']);
/** Access denied: wrong user or password, or a user without rights to this database. */
const DENIED = new Set([1044, 1045, 1698]);
const NO_DATABASE = 1049;
const NO_TABLE = 1146;

/**
 * Explains an error met while a command first reads its database (`url`, the --db value).
 * Errors that are none of the above come back unchanged.
 */
export function explainDbError(err: unknown, url: string, opts: { flag?: string; migrate?: string } = {}): Error {
  const e = err as { code?: string; errno?: number; sqlMessage?: string } | null;
  const flag = opts.flag ?? '--db';
  const migrate = opts.migrate ?? `run \`atomsync migrate ${flag} ... --node-id ...\` first`;
  let where: { host: string; port: number; user: string; database: string };
  try {
    where = parseDbUrl(url);
  } catch {
    return err as Error;
  }
  const server = `${where.host}:${where.port}`;
  const code = e?.code;
  let message: string | null = null;
  if (code && UNREACHABLE.has(code)) {
    message = `cannot connect to the database server at ${server} (${code}): start MariaDB there, or correct the host and port in ${flag}`;
  } else if (DENIED.has(e?.errno ?? 0)) {
    message = `the database server at ${server} refused user "${where.user}" (access denied): correct the user and password in ${flag}`;
  } else if (e?.errno === NO_DATABASE) {
    message = `there is no database "${where.database}" at ${server}: ${migrate} (it creates it), or correct the name in ${flag}`;
  } else if (e?.errno === NO_TABLE) {
    const sync = /atomsync_/.test(e.sqlMessage ?? '');
    message = sync
      ? `database "${where.database}" at ${server} has no atomsync tables: ${migrate}`
      : `database "${where.database}" at ${server} lacks a table atomsync needs (${e.sqlMessage}): is it the right database? If so, ${migrate}`;
  }
  return message === null ? (err as Error) : new StartError(message, code, { cause: err });
}

/**
 * Explains a server's failure to listen (`flag` names the option that chose the port).
 * Errors that are not about listening come back unchanged.
 */
export function explainListenError(err: unknown, flag: string, hostFlag?: string): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.syscall !== 'listen') return err as Error;
  const host = e.address === undefined ? '' : e.address.includes(':') ? `[${e.address}]` : e.address;
  const at = e.port === undefined ? host || 'the address' : host ? `${host}:${e.port}` : `port ${e.port}`;
  let message: string;
  if (e.code === 'EADDRINUSE') message = `${at} is already in use: stop what listens there, or choose another ${flag} (0: any free port)`;
  else if (e.code === 'EACCES') message = `not allowed to listen on ${at} (ports below 1024 need privileges): choose another ${flag}`;
  else if (e.code === 'EADDRNOTAVAIL') message = `cannot listen on ${at}: that is not an address of this machine; correct ${hostFlag ?? flag}`;
  else message = `cannot listen on ${at} (${e.code}): check ${flag}${hostFlag ? ` and ${hostFlag}` : ''}`;
  return new StartError(message, e.code, { cause: err });
}

/** A URL with any password replaced by ***, for messages and logs. */
export function withoutPassword(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
