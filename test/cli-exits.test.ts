// Every fatal error of `subscribe`, `erp` and `publish` ends the process: within seconds,
// with a non-zero status and one line that says what is wrong and what to do, with no stack
// trace and no password, and with nothing left open to keep it alive (a pool, Redis, a worker
// thread, a server, a timer). Each runs as a real process (bin/atomsync.js), killed if it hangs.
// Also: every option of every command can come from the environment, and a flag wins over it.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { parseCommand, formatHelp, UsageError } from '../shared/cli/args.ts';
import type { Opt } from '../shared/cli/args.ts';
import { COMMANDS } from '../bin/main.ts';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { DB_SERVER, freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { atomsync, killAll, waitForOutput } from './helpers/processes.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
/** Starting node with tsx takes about a second; a fatal error must end the process soon after. */
const EXIT_WITHIN_MS = 10_000;
/** A process still running after this is hung: it is killed, and its test fails. */
const KILL_AFTER_MS = 20_000;
const SECRET = 'sekrit-pw-7f3a';

interface Exit {
  code: number | string;
  out: string;
  ms: number;
}

/** Runs `atomsync ...` at the default log level (info), killed after KILL_AFTER_MS. */
async function exitOf(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  const started = Date.now();
  const p = atomsync(args, { ATOMSYNC_LOG_LEVEL: 'info', ...env });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), KILL_AFTER_MS);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.output(), ms: Date.now() - started };
}

/**
 * The exit of a fatal error: the status, soon, and nothing printed but the one line that says
 * what is wrong (after a usage error, the pointer to --help as well).
 */
function assertFatal(r: Exit, command: string, code: 1 | 2, message: RegExp): void {
  const shown = `\n--- output (${r.ms} ms, exit ${r.code}) ---\n${r.out}`;
  assert.equal(r.code, code, `exit status${shown}`);
  assert.ok(r.ms < EXIT_WITHIN_MS, `exited after ${r.ms} ms, more than ${EXIT_WITHIN_MS}${shown}`);
  const lines = r.out.trim().split('\n');
  const expected = code === 2 ? [`Run "atomsync ${command} --help" for the options.`] : [];
  assert.deepEqual(lines.slice(1), expected, `one line, nothing else at the default log level${shown}`);
  assert.ok(lines[0].startsWith(`atomsync ${command}: `), `the line names the command${shown}`);
  assert.match(lines[0], message, shown);
  assert.doesNotMatch(r.out, /^\s+at /m, `no stack trace${shown}`);
  assert.ok(!r.out.includes(SECRET), `no password${shown}`);
}

/** A port nothing listens on (taken from the system, then released). */
async function closedPort(): Promise<number> {
  const s = await listening();
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

function listening(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('fatal errors end the process with one clear line', { timeout: 300_000 }, () => {
  let node: TestDb; // migrated, node id exits-hq
  let bare: TestDb; // a database without atomsync's tables
  let busy: Server; // holds a port, for "already in use"
  let busyPort: number;
  let deadPort: number; // nothing listens here
  const queue = `atomsync-test-exits-${process.pid}`;
  const feed = (port: number, category = 'all') => `http://hq:${SECRET}@127.0.0.1:${port}/openmrs/ws/atomfeed/${category}/recent`;
  const noSuchDb = `${DB_SERVER}/as_exits_missing_${process.pid}`;
  const withPassword = (url: string) => url.replace('mysql://root@', `mysql://root:${SECRET}@`);
  const closedDb = async () => `mysql://root@127.0.0.1:${await closedPort()}/whatever`;

  before(async () => {
    [node, bare] = await Promise.all([freshDatabase('exits'), freshDatabase('exits_bare')]);
    await migrate(node.pool, 'exits-hq', { snapshot: false });
    busy = await listening();
    busyPort = (busy.address() as { port: number }).port;
    deadPort = await closedPort();
  });

  after(async () => {
    killAll();
    busy?.close();
    await Promise.all([node?.drop(), bare?.drop()]);
    const redis = new Redis(REDIS);
    try {
      const keys = await redis.keys(`bull:${queue}:*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  describe('subscribe', { concurrency: 3 }, () => {
    const sub = (db: string, extra: string[] = []) => ['subscribe', '--db', db, '--queue', queue, '--feed', feed(deadPort), ...extra];

    test('database server unreachable', async () => {
      assertFatal(await exitOf(sub(await closedDb())), 'subscribe', 1, /cannot connect to the database server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\): start MariaDB there, or correct the host and port in --db/);
    });
    test('wrong database password', async () => {
      assertFatal(await exitOf(sub(withPassword(node.url))), 'subscribe', 1, /refused user "root" \(access denied\): correct the user and password in --db/);
    });
    test('no such database', async () => {
      assertFatal(await exitOf(sub(noSuchDb)), 'subscribe', 1, /there is no database "as_exits_missing_\d+" at 127\.0\.0\.1:3306: run `atomsync migrate/);
    });
    test('database not migrated', async () => {
      assertFatal(await exitOf(sub(bare.url)), 'subscribe', 1, /database "as_exits_bare_\w+" at 127\.0\.0\.1:3306 has no atomsync tables: run `atomsync migrate --db \.\.\. --node-id \.\.\.` first/);
    });
    test('node id mismatch (the pool used to keep it alive)', async () => {
      assertFatal(await exitOf(sub(node.url, ['--node-id', 'other'])), 'subscribe', 1, /--node-id other does not match the database's node id exits-hq: give --node-id exits-hq/);
    });
    test('audit user that is not a user', async () => {
      assertFatal(await exitOf(sub(node.url, ['--audit-user-id', '999999'])), 'subscribe', 1, /--audit-user-id 999999 is not a user/);
    });
    test('status page port already in use (pool, HTTP client and parser open by then)', async () => {
      const r = await exitOf(sub(node.url, ['--http-port', String(busyPort), '--admin-users', `admin:${SECRET}`]));
      assertFatal(r, 'subscribe', 1, new RegExp(`127\\.0\\.0\\.1:${busyPort} is already in use: stop what listens there, or choose another --http-port`));
    });
    test('--http-port without --admin-users', async () => {
      assertFatal(await exitOf(sub(node.url, ['--http-port', '0'])), 'subscribe', 2, /--http-port needs --admin-users/);
    });
    test('malformed feed URL', async () => {
      const r = await exitOf(['subscribe', '--db', node.url, '--feed', `http://hq:${SECRET}@[::1`]);
      assertFatal(r, 'subscribe', 2, /--feed: feed URL is not a URL: http:\/\/\*\*\*@/);
    });
    test('a feed URL that is not .../{category}/recent', async () => {
      const r = await exitOf(['subscribe', '--db', node.url, '--feed', `http://hq:${SECRET}@127.0.0.1:${deadPort}/openmrs/ws/atomfeed/all/3`]);
      assertFatal(r, 'subscribe', 2, /--feed: feed URL must end in \/\{category\}\/recent/);
    });
    test('malformed --allow-origin', async () => {
      assertFatal(await exitOf(sub(node.url, ['--allow-origin', 'rest-host'])), 'subscribe', 2, /--allow-origin: allowed origin is not a URL/);
    });
    test('a --redis URL that can never work', async () => {
      const r = await exitOf(sub(node.url, ['--redis', `http://:${SECRET}@127.0.0.1:6379`]));
      assertFatal(r, 'subscribe', 2, /--redis must be a URL like redis:\/\/.*\(got "http:\/\/:\*\*\*@127\.0\.0\.1:6379"\)/);
    });
    test('malformed --db', async () => {
      assertFatal(await exitOf(sub('mysql://root@127.0.0.1:3306/')), 'subscribe', 2, /--db: database URL must name a database/);
    });
    test('invalid numbers, from a flag or the environment', async () => {
      assertFatal(await exitOf(sub(node.url, ['--poll-ms', 'soon'])), 'subscribe', 2, /--poll-ms must be a whole number \(got "soon"\)/);
      assertFatal(await exitOf(sub(node.url), { ATOMSYNC_ENTRY_BATCH: '0' }), 'subscribe', 2, /--entry-batch must be from 1 to 10000 \(got 0\)/);
    });
    test('invalid --log-level and boolean environment values', async () => {
      assertFatal(await exitOf(sub(node.url, ['--log-level', 'chatty'])), 'subscribe', 2, /--log-level must be one of debug, info, warn, error/);
      assertFatal(await exitOf(sub(node.url), { ATOMSYNC_ONCE: 'maybe' }), 'subscribe', 2, /ATOMSYNC_ONCE must be 1 or 0/);
    });
    test('--once when a feed cannot be read', async () => {
      const r = await exitOf(sub(node.url, ['--once']), { ATOMSYNC_LOG_LEVEL: 'warn' });
      assert.equal(r.code, 1, r.out);
      assert.ok(r.ms < EXIT_WITHIN_MS, `exited after ${r.ms} ms`);
      assert.match(r.out, new RegExp(`atomsync subscribe: some feeds could not be read:\\n  http://127\\.0\\.0\\.1:${deadPort}/openmrs/ws/atomfeed/all/recent: .*ECONNREFUSED`));
      assert.ok(!r.out.includes(SECRET), r.out);
    });
  });

  test('subscribe: a Redis that does not answer is one warning, not fatal, and SIGTERM still ends it', { timeout: 60_000 }, async () => {
    const redisPort = await closedPort();
    const p = atomsync(['subscribe', '--db', node.url, '--queue', queue, '--feed', feed(deadPort), '--redis', `redis://:${SECRET}@127.0.0.1:${redisPort}`], {
      ATOMSYNC_LOG_LEVEL: 'info',
    });
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
    try {
      await waitForOutput(p, /("msg":"subscriber started")/, 15_000);
      // Reconnects go on every 50 ms to 2 s: over 4 s there are many, each once a warning before.
      await new Promise((r) => setTimeout(r, 4_000));
      assert.equal(p.child.exitCode, null, `still running:\n${p.output()}`);
      const warnings = p.output().split('\n').filter((l) => /"level":"warn"/.test(l) && /redis|retry (queue|worker) error/i.test(l));
      assert.equal(warnings.length, 1, `one warning about Redis:\n${warnings.join('\n')}`);
      assert.match(warnings[0], new RegExp(`Redis does not answer; feeds are read on.*"redis":"redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redisPort}"`));
      const stopAt = Date.now();
      assert.equal(await p.stop('SIGTERM'), 0, p.output());
      assert.ok(Date.now() - stopAt < EXIT_WITHIN_MS, `stopped after ${Date.now() - stopAt} ms`);
      assert.ok(!p.output().includes(SECRET), p.output());
    } finally {
      clearTimeout(timer);
    }
  });

  describe('erp', { concurrency: 3 }, () => {
    const erp = (db: string, extra: string[] = []) => ['erp', '--db', db, '--queue', queue, '--feed', feed(deadPort, 'patient'), ...extra];

    test('database server unreachable', async () => {
      assertFatal(await exitOf(erp(await closedDb())), 'erp', 1, /cannot connect to the database server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });
    test('wrong database password', async () => {
      assertFatal(await exitOf(erp(withPassword(node.url))), 'erp', 1, /refused user "root" \(access denied\): correct the user and password in --db/);
    });
    test("a database of another node (erp's node id is fixed once set)", async () => {
      assertFatal(await exitOf(erp(node.url)), 'erp', 1, /this database belongs to node "exits-hq"; refusing to relabel it "erp"/);
    });
    test('options are checked before the database is created', async () => {
      const db = `${DB_SERVER}/as_exits_erp_${process.pid}`;
      assertFatal(await exitOf(['erp', '--db', db, '--feed', 'http://127.0.0.1/openmrs/ws/atomfeed/patient']), 'erp', 2, /--feed: feed URL must end in/);
      assertFatal(await exitOf(erp(db, ['--redis', 'localhost:6379'])), 'erp', 2, /--redis must be a URL like redis:\/\//);
      assertFatal(await exitOf(erp(db, ['--max-attempts', 'many'])), 'erp', 2, /--max-attempts must be a whole number/);
      const found = await queryRows(node.pool, 'SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [db.split('/').pop()]);
      assert.equal(found.length, 0, 'no database was created');
    });
    test('--once when a feed cannot be read', async () => {
      const db = await freshDatabase('exits_erp');
      try {
        const r = await exitOf(erp(db.url, ['--once']), { ATOMSYNC_LOG_LEVEL: 'warn' });
        assert.equal(r.code, 1, r.out);
        assert.ok(r.ms < EXIT_WITHIN_MS, `exited after ${r.ms} ms`);
        assert.match(r.out, /atomsync erp: some feeds could not be read:\n {2}http:\/\/127\.0\.0\.1:\d+\/openmrs\/ws\/atomfeed\/patient\/recent: .*ECONNREFUSED/);
        assert.ok(!r.out.includes(SECRET), r.out);
      } finally {
        await db.drop();
      }
    });
  });

  describe('publish', { concurrency: 3 }, () => {
    const pub = (db: string, extra: string[] = []) => ['publish', '--db', db, '--port', '0', ...extra];
    const users = { ATOMSYNC_USERS: `hq:${SECRET}` };

    test('database server unreachable', async () => {
      assertFatal(await exitOf(pub(await closedDb()), users), 'publish', 1, /cannot connect to the database server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });
    test('wrong database password', async () => {
      assertFatal(await exitOf(pub(withPassword(node.url)), users), 'publish', 1, /refused user "root" \(access denied\)/);
    });
    test('no such database', async () => {
      assertFatal(await exitOf(pub(noSuchDb), users), 'publish', 1, /there is no database "as_exits_missing_\d+"/);
    });
    test('database not migrated', async () => {
      assertFatal(await exitOf(pub(bare.url), users), 'publish', 1, /has no atomsync tables: run `atomsync migrate/);
    });
    test('node id mismatch', async () => {
      assertFatal(await exitOf(pub(node.url, ['--node-id', 'other']), users), 'publish', 1, /--node-id other does not match the database's node id exits-hq: give --node-id exits-hq/);
    });
    test('port already in use (pool, layouts and positions open by then)', async () => {
      const r = await exitOf(['publish', '--db', node.url, '--port', String(busyPort)], users);
      assertFatal(r, 'publish', 1, new RegExp(`127\\.0\\.0\\.1:${busyPort} is already in use: stop what listens there, or choose another --port`));
    });
    test('an address that is not this machine', async () => {
      assertFatal(await exitOf(pub(node.url, ['--host', '192.0.2.1']), users), 'publish', 1, /cannot listen on 192\.0\.2\.1: that is not an address of this machine; correct --host/);
    });
    test('TLS files that cannot be read, or are not a key and certificate', async () => {
      assertFatal(
        await exitOf(pub(node.url, ['--tls-key', '/nonexistent/key.pem', '--tls-cert', '/nonexistent/cert.pem']), users),
        'publish', 1, /cannot read --tls-key \/nonexistent\/key\.pem: no such file/,
      );
      assertFatal(
        await exitOf(pub(node.url, ['--tls-key', '/etc/hostname', '--tls-cert', '/etc/hostname']), users),
        'publish', 1, /--tls-key \/etc\/hostname and --tls-cert \/etc\/hostname are not a PEM private key and its certificate/,
      );
      assertFatal(await exitOf(pub(node.url, ['--tls-key', '/etc/hostname']), users), 'publish', 2, /--tls-key and --tls-cert go together/);
    });
    test('bad users, public URL and numbers', async () => {
      assertFatal(await exitOf(pub(node.url, ['--users', 'hq'])), 'publish', 2, /--users entry "hq:…" must be name:password/);
      assertFatal(await exitOf(pub(node.url)), 'publish', 2, /--users is required \(or set ATOMSYNC_USERS\)/);
      assertFatal(await exitOf(pub(node.url, ['--public-url', 'clinic-a']), users), 'publish', 2, /--public-url must be a URL like https:/);
      assertFatal(await exitOf(pub(node.url, ['--port', '99999']), users), 'publish', 2, /--port must be from 0 to 65535/);
      assertFatal(await exitOf(pub(node.url), { ...users, ATOMSYNC_PAGE_SIZE: 'fifty' }), 'publish', 2, /--page-size must be a whole number/);
    });
  });
});

describe('every option can come from the environment', () => {
  /** A value for the option: a valid choice where there are choices. */
  const sample = (o: Opt, which: 'env' | 'flag') => (o.choices ? o.choices[which === 'env' ? 0 : 1] : `${which}-${o.name}`);
  /** The flags every required option other than `o` needs, so parseCommand gets as far as `o`. */
  const requiredFlags = (opts: Opt[], except: Opt) =>
    opts.filter((x) => x.required && x !== except).flatMap((x) => [`--${x.name}`, sample(x, 'flag')]);

  test('each command lists options with distinct ATOMSYNC_* names, shown in --help', () => {
    assert.ok(COMMANDS.length >= 8);
    for (const cmd of COMMANDS) {
      const names = new Set<string>();
      const help = formatHelp(cmd);
      for (const o of cmd.options) {
        assert.match(o.env ?? '', /^ATOMSYNC_[A-Z0-9_]+$/, `atomsync ${cmd.name} --${o.name} has an environment variable`);
        assert.ok(!names.has(o.env!), `${o.env} names one option of ${cmd.name}`);
        names.add(o.env!);
        assert.ok(help.includes(`env ${o.env}`), `${cmd.name} --help shows ${o.env}`);
      }
    }
  });

  test('parseCommand reads each option from its variable, and the flag wins over it', () => {
    for (const cmd of COMMANDS) {
      for (const o of cmd.options) {
        const base = requiredFlags(cmd.options, o);
        const where = `atomsync ${cmd.name} --${o.name} (${o.env})`;
        const parse = (argv: string[], env: Record<string, string>) => {
          const v = parseCommand(cmd, argv, env);
          assert.notEqual(v, 'help');
          return (v as Record<string, unknown>)[o.name];
        };
        if (o.type === 'boolean') {
          assert.equal(parse(base, { [o.env!]: '1' }), true, `${where} = 1`);
          assert.equal(parse(base, { [o.env!]: 'false' }), false, `${where} = false`);
          assert.ok(!parse(base, {}), `${where} unset`);
          assert.equal(parse([...base, `--${o.name}`], { [o.env!]: '0' }), true, `${where}: the flag wins`);
          assert.throws(() => parse(base, { [o.env!]: 'maybe' }), UsageError, `${where} = maybe`);
        } else if (o.multiple) {
          const [a, b] = [`${sample(o, 'env')}-1`, `${sample(o, 'env')}-2`];
          assert.deepEqual(parse(base, { [o.env!]: ` ${a}  ${b} ` }), [a, b], `${where}: space-separated`);
          assert.deepEqual(parse([...base, `--${o.name}`, sample(o, 'flag')], { [o.env!]: a }), [sample(o, 'flag')], `${where}: the flag wins`);
        } else {
          assert.equal(parse(base, { [o.env!]: sample(o, 'env') }), sample(o, 'env'), where);
          assert.equal(parse([...base, `--${o.name}`, sample(o, 'flag')], { [o.env!]: sample(o, 'env') }), sample(o, 'flag'), `${where}: the flag wins`);
          if (o.default !== undefined) assert.equal(parse(base, {}), o.default, `${where}: default when unset`);
        }
      }
    }
  });
});
