// The baseline: the clinic's synced tables copied into an empty database by
// `mysqldump --single-transaction | mysql`, the way an administrator would
// copy them by hand. Triggers are left out (--skip-triggers): the copy is of
// data, and the clinic's triggers would point at an outbox the copy lacks.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseDbUrl } from '../../../shared/db.ts';
import type { Children } from './children.ts';

export class MissingToolError extends Error {
  override name = 'MissingToolError';
  constructor(readonly candidates: string[]) {
    super(`none of ${candidates.join(', ')} is on the PATH (install mariadb-client)`);
  }
}

export class CopyFailedError extends Error {
  override name = 'CopyFailedError';
  constructor(
    readonly tool: string,
    readonly code: number | string,
    readonly log: string,
  ) {
    super(`${tool} exited with ${code}:\n${log}`);
  }
}

/** The first of `names` found as an executable on the PATH. */
export function findTool(names: string[]): string {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      const full = join(dir, name);
      try {
        accessSync(full, constants.X_OK);
        return full;
      } catch {
        // not here
      }
    }
  }
  throw new MissingToolError(names);
}

export interface CopyResult {
  dump: string;
  client: string;
  wallMs: number;
  bytes: number;
}

export async function dumpAndLoad(children: Children, sourceUrl: string, targetUrl: string, tables: readonly string[], timeoutMs: number): Promise<CopyResult> {
  const dumpBin = findTool(['mariadb-dump', 'mysqldump']);
  const clientBin = findTool(['mariadb', 'mysql']);
  const src = parseDbUrl(sourceUrl);
  const dst = parseDbUrl(targetUrl);
  const conn = (c: typeof src) => [`-h${c.host}`, `-P${c.port}`, `-u${c.user}`];
  // The password travels in the environment, not on a command line anyone can list.
  const env = (c: typeof src) => ({ ...process.env, ...(c.password ? { MYSQL_PWD: c.password } : {}) });
  const started = Date.now();
  const dump = children.spawn(
    'baseline-dump',
    dumpBin,
    [...conn(src), '--single-transaction', '--no-create-db', '--skip-triggers', src.database, ...tables],
    { env: env(src), keepStdout: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const load = children.spawn('baseline-load', clientBin, [...conn(dst), dst.database], { env: env(dst) });
  load.proc.stdin!.on('error', () => undefined); // the load failing is reported by its exit code
  let bytes = 0;
  dump.proc.stdout!.on('data', (d: Buffer) => (bytes += d.length));
  dump.proc.stdout!.pipe(load.proc.stdin!);
  const timer = setTimeout(() => {
    dump.proc.kill('SIGKILL');
    load.proc.kill('SIGKILL');
  }, timeoutMs);
  try {
    const [dumpCode, loadCode] = await Promise.all([dump.exited, load.exited]);
    if (dumpCode !== 0) throw new CopyFailedError(dumpBin, dumpCode, dump.tail());
    if (loadCode !== 0) throw new CopyFailedError(clientBin, loadCode, load.tail());
  } finally {
    clearTimeout(timer);
  }
  return { dump: dumpBin, client: clientBin, wallMs: Date.now() - started, bytes };
}
