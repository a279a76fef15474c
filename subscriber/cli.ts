import { LOG_LEVEL_OPT, UsageError, asUsage, dbUrlArg, intArg, urlArg } from '../shared/cli/args.ts';
import type { Args, Command, Io, Opt } from '../shared/cli/args.ts';
import { openPool } from '../shared/db.ts';
import { createLogger } from '../shared/logger.ts';
import type { Level, Logger } from '../shared/logger.ts';
import { ALL_CATEGORY, catchmentCategory, LONG_POLL_MAX_S, RECENT, UUID_PATTERN } from '../shared/protocol.ts';
import { RETRY_DEFAULTS } from './backoff.ts';
import { Inbox } from './inbox.ts';
import { RetryQueue, retryQueueName } from './retry-queue.ts';
import { SUBSCRIBER_DEFAULTS, Subscriber } from './subscriber.ts';
import type { SubscriberOptions } from './subscriber.ts';
import { FeedAddress, allowedOrigin } from './feed-address.ts';
import { explainDbError } from '../shared/start-errors.ts';
import { silentLogger } from '../shared/logger.ts';
import { readMeta } from '../shared/schema/migrate.ts';
import { parseUsers } from '../shared/web/basic-auth.ts';
import { STATUS_SERVER_DEFAULTS } from './status-server.ts';
import { startProgressLines } from './progress-lines.ts';

const dbOpt: Opt = { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "the subscriber's database (migrated)" };
const redisOpt: Opt = { name: 'redis', type: 'string', env: 'ATOMSYNC_REDIS', default: 'redis://127.0.0.1:6379', arg: 'URL', help: 'Redis for the retry queue' };

export const subscribeCommand: Command = {
  name: 'subscribe',
  summary: "poll publishers' feeds and apply their changes to this database",
  usage: 'atomsync subscribe --db mysql://root@127.0.0.1:3306/hq --node-id hq --feed http://hq:secret@127.0.0.1:8081/openmrs/ws/atomfeed/all/recent',
  options: [
    dbOpt,
    redisOpt,
    { name: 'node-id', type: 'string', env: 'ATOMSYNC_NODE_ID', arg: 'ID', help: "checked against the database's node id; entries from this node are skipped" },
    { name: 'feed', type: 'string', multiple: true, env: 'ATOMSYNC_FEEDS', required: true, arg: 'URL', help: "a publisher's .../{category}/recent URL, credentials in it or in --credentials (space-separated in the env)" },
    { name: 'credentials', type: 'string', env: 'ATOMSYNC_CREDENTIALS', arg: 'USER:PASS', help: 'HTTP Basic credentials for feeds whose URL has none' },
    {
      name: 'catchment', type: 'string', env: 'ATOMSYNC_CATCHMENT', arg: 'UUID,...',
      help: "this node's locations: each --feed (an all feed) is read as its catchment feed, only what concerns them",
    },
    {
      name: 'allow-origin', type: 'string', multiple: true, env: 'ATOMSYNC_ALLOW_ORIGINS', arg: 'URL',
      help: 'another origin feed links may point to (default: only the feed\'s own; space-separated in the env)',
    },
    { name: 'once', type: 'boolean', env: 'ATOMSYNC_ONCE', help: 'catch up on every feed, retry what can be, then exit (0 even if events are parked)' },
    { name: 'poll-ms', type: 'string', env: 'ATOMSYNC_POLL_MS', default: String(SUBSCRIBER_DEFAULTS.pollMs), arg: 'MS', help: "pause between polls of a caught-up feed whose publisher does not hold polls open" },
    { name: 'long-poll-s', type: 'string', env: 'ATOMSYNC_LONG_POLL_S', default: String(SUBSCRIBER_DEFAULTS.longPollS), arg: 'S', help: 'seconds a caught-up feed\'s publisher may hold a poll until a new event (0: plain polling)' },
    { name: 'entry-batch', type: 'string', env: 'ATOMSYNC_ENTRY_BATCH', default: String(SUBSCRIBER_DEFAULTS.entryBatch), arg: 'N', help: 'entries applied together in one transaction (a longer page is sliced)' },
    { name: 'fetch-concurrency', type: 'string', env: 'ATOMSYNC_FETCH_CONCURRENCY', default: String(SUBSCRIBER_DEFAULTS.fetchConcurrency), arg: 'N', help: 'resource requests in flight at once, all feeds together' },
    { name: 'timeout-ms', type: 'string', env: 'ATOMSYNC_TIMEOUT_MS', default: '15000', arg: 'MS', help: 'time allowed for a response to start, and between body chunks' },
    { name: 'max-attempts', type: 'string', env: 'ATOMSYNC_MAX_ATTEMPTS', default: String(RETRY_DEFAULTS.maxAttempts), arg: 'N', help: 'attempts before an event becomes a dead letter' },
    { name: 'retry-base-ms', type: 'string', env: 'ATOMSYNC_RETRY_BASE_MS', default: String(RETRY_DEFAULTS.baseDelayMs), arg: 'MS', help: 'first retry delay; doubles per attempt with jitter' },
    { name: 'retry-max-ms', type: 'string', env: 'ATOMSYNC_RETRY_MAX_MS', default: String(RETRY_DEFAULTS.maxDelayMs), arg: 'MS', help: 'longest retry delay' },
    { name: 'queue', type: 'string', env: 'ATOMSYNC_QUEUE', arg: 'NAME', help: 'BullMQ queue name (default atomsync-retry-{node id})' },
    {
      name: 'share-feeds', type: 'boolean', env: 'ATOMSYNC_SHARE_FEEDS',
      help: 'one of several processes on this database: each feed is read by one of them at a time (BullMQ jobs in --redis)',
    },
    { name: 'feeds-queue', type: 'string', env: 'ATOMSYNC_FEEDS_QUEUE', arg: 'NAME', help: 'with --share-feeds: the queue of the feed jobs (default atomsync-feeds-{node id})' },
    { name: 'audit-user-id', type: 'string', env: 'ATOMSYNC_AUDIT_USER_ID', default: '1', arg: 'N', help: 'local users.user_id recorded as creator/changer when the origin\'s user is unknown here' },
    { name: 'detect-duplicates', type: 'string', env: 'ATOMSYNC_DETECT_DUPLICATES', default: 'off', choices: ['on', 'off'], arg: 'on|off', help: 'look for duplicate patients among those each batch writes (atomsync duplicates list); costs about a third more time in a catch-up' },
    { name: 'http-port', type: 'string', env: 'ATOMSYNC_HTTP_PORT', arg: 'N', help: 'serve a status page (feeds, lag, dead letters with Retry buttons) and /metrics on this port (0: any free port)' },
    { name: 'http-host', type: 'string', env: 'ATOMSYNC_HTTP_HOST', default: STATUS_SERVER_DEFAULTS.host, arg: 'ADDR', help: 'address of the status page' },
    { name: 'admin-users', type: 'string', env: 'ATOMSYNC_ADMIN_USERS', arg: 'NAME:PASS,...', help: 'who may open the status page (HTTP Basic); required with --http-port' },
    LOG_LEVEL_OPT,
  ],
  notes:
    'Runs until SIGINT/SIGTERM; in-flight pages finish, and anything not finished is redone on the next start.\n' +
    'Prefer ATOMSYNC_ADMIN_USERS to --admin-users, so passwords do not show in the process list.\n' +
    'Markers, parked events and conflicts live in the database; Redis only schedules retries.',
  async run(args, io) {
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'subscriber' } });
    const sub = new Subscriber(
      {
        dbUrl: dbUrlArg(args),
        nodeId: args['node-id'] as string | undefined,
        ...withCatchment(readingArgs(args), args.catchment as string | undefined),
        entryBatch: intArg(args, 'entry-batch', 1, 10_000),
        fetchConcurrency: intArg(args, 'fetch-concurrency', 1, 1000),
        auditUserId: intArg(args, 'audit-user-id', 1, 2_147_483_647),
        detectDuplicates: args['detect-duplicates'] === 'on',
        ...statusPageArgs(args),
        ...sharingArgs(args),
      },
      log,
    );
    return runSubscriber(sub, Boolean(args.once), io, log);
  },
};

/** The options subscribe and erp share, all checked before anything is opened. */
export function readingArgs(args: Args): Pick<SubscriberOptions, 'redisUrl' | 'feeds' | 'feedOptions' | 'pollMs' | 'longPollS' | 'retry' | 'queueName' | 'http'> {
  const timeout = intArg(args, 'timeout-ms', 100, 600_000);
  const feeds = args.feed as string[];
  const feedOptions = { defaultCredentials: args.credentials as string | undefined, allowedOrigins: args['allow-origin'] as string[] | undefined };
  // The subscriber makes its own sources; these only check the URLs before anything is opened.
  for (const o of feedOptions.allowedOrigins ?? []) asUsage(() => allowedOrigin(o), '--allow-origin');
  for (const f of feeds) asUsage(() => new FeedAddress(f, feedOptions), '--feed');
  return {
    // Once mode schedules no retries: parked events wait in the inbox.
    redisUrl: args.once ? undefined : redisUrlArg(args),
    feeds,
    feedOptions,
    pollMs: intArg(args, 'poll-ms', 10, 3_600_000),
    longPollS: intArg(args, 'long-poll-s', 0, LONG_POLL_MAX_S),
    retry: {
      maxAttempts: intArg(args, 'max-attempts', 1, 1000),
      baseDelayMs: intArg(args, 'retry-base-ms', 1, 86_400_000),
      maxDelayMs: intArg(args, 'retry-max-ms', 1, 86_400_000),
    },
    queueName: args.queue as string | undefined,
    http: { headersTimeoutMs: timeout, bodyTimeoutMs: timeout },
  };
}

/**
 * --redis, which must be a redis:// or rediss:// URL. One that can never work is refused here;
 * a Redis that does not answer is not: reading feeds never waits for it (see RetryQueue).
 */
export function redisUrlArg(args: Args): string {
  const url = urlArg(args, 'redis', ['redis:', 'rediss:'], 'redis://[user:password@]127.0.0.1:6379[/db]')!;
  if (!/^\/?[0-9]*$/.test(new URL(url).pathname)) throw new UsageError(`--redis: the path of a Redis URL is a database number (like /0)`);
  return url;
}

/** Starts a subscriber, then catches up once or runs until a stop signal; shared by subscribe and erp. */
export async function runSubscriber(sub: Subscriber, once: boolean, io: Io, log: Logger): Promise<number> {
  await sub.start(); // one that fails has closed what it opened
  if (sub.statusUrl) io.out(`status page at ${sub.statusUrl}`);
  const stopLines = startProgressLines((now) => sub.progress(now), (line) => io.out(line));
  try {
    if (once) {
      const r = await sub.once();
      io.out(`caught up: ${r.applied} applied, ${r.pending} waiting for a retry, ${r.dead} dead letters`);
      return 0;
    }
    const running = sub.run();
    const signal = await Promise.race([io.stopSignal, running.then(() => 'done')]);
    log.info('stopping', { signal });
    await sub.stop();
    await running;
    return 0;
  } finally {
    stopLines();
    await sub.stop();
    await sub.close();
  }
}

/**
 * With --catchment, each --feed (a parent's `all` feed) becomes the feed of the catchment of these
 * locations on the same parent (SPEC.md, "Catchments").
 */
export function withCatchment<T extends { feeds: string[] }>(o: T, catchment: string | undefined): T {
  if (catchment === undefined) return o;
  const uuids = catchment.split(',').map((u) => u.trim()).filter(Boolean);
  if (uuids.length === 0 || uuids.some((u) => !UUID_PATTERN.test(u))) {
    throw new UsageError(`--catchment: location uuids separated by commas (got "${catchment.slice(0, 80)}")`);
  }
  const category = catchmentCategory(uuids);
  const feeds = o.feeds.map((f) => {
    const u = new URL(f);
    if (!u.pathname.endsWith(`/${ALL_CATEGORY}/${RECENT}`)) {
      throw new UsageError(`--catchment reads a parent's ${ALL_CATEGORY} feed as its catchment's: --feed ${u.origin}${u.pathname} is not .../${ALL_CATEGORY}/${RECENT}`);
    }
    u.pathname = u.pathname.replace(new RegExp(`/${ALL_CATEGORY}/${RECENT}$`), `/${category}/${RECENT}`);
    return u.toString();
  });
  return { ...o, feeds };
}

/** --share-feeds and --feeds-queue; sharing is for a running subscriber, not a --once catch-up. */
function sharingArgs(args: Args): Pick<SubscriberOptions, 'shareFeeds'> {
  if (!args['share-feeds']) {
    if (args['feeds-queue'] !== undefined) throw new UsageError('--feeds-queue goes with --share-feeds');
    return {};
  }
  if (args.once) throw new UsageError('--share-feeds is for a subscriber that keeps running; --once reads every feed itself');
  return { shareFeeds: { queueName: args['feeds-queue'] as string | undefined } };
}

/** --http-port, --http-host and --admin-users, checked together. */
function statusPageArgs(args: Args): { httpPort?: number; httpHost?: string; adminUsers?: Map<string, string> } {
  if (args['http-port'] === undefined) return {};
  if (!args['admin-users']) throw new UsageError('--http-port needs --admin-users name:password,... (or ATOMSYNC_ADMIN_USERS)');
  let adminUsers: Map<string, string>;
  try {
    adminUsers = parseUsers(String(args['admin-users']));
  } catch (err) {
    throw new UsageError((err as Error).message.replace('--users', '--admin-users'));
  }
  return { httpPort: intArg(args, 'http-port', 0, 65535), httpHost: String(args['http-host']), adminUsers };
}

export const failedCommand: Command = {
  name: 'failed',
  summary: 'list dead-letter events, or put them back in line (safe while the subscriber runs)',
  usage: 'atomsync failed list --db URL     atomsync failed retry <id ...|--all> --db URL [--redis URL]',
  positionals: true,
  options: [
    dbOpt,
    redisOpt,
    { name: 'all', type: 'boolean', env: 'ATOMSYNC_FAILED_ALL', help: 'with retry: every dead letter' },
    { name: 'json', type: 'boolean', env: 'ATOMSYNC_FAILED_JSON', help: 'with list: one JSON object per line' },
    { name: 'queue', type: 'string', env: 'ATOMSYNC_QUEUE', arg: 'NAME', help: 'BullMQ queue name (default atomsync-retry-{node id})' },
  ],
  notes: 'A running subscriber picks retried events up at once through Redis, or within seconds from the database if Redis is down.',
  async run(args: Args, io) {
    const [verb, ...ids] = args._ as string[];
    const redisUrl = verb === 'retry' ? redisUrlArg(args) : '';
    const url = dbUrlArg(args);
    const pool = openPool(url, { connectionLimit: 2 });
    const inbox = new Inbox(pool);
    try {
      if (verb === 'list') {
        const rows = await inbox.list('dead');
        if (args.json) rows.forEach((r) => io.out(JSON.stringify(r)));
        else if (rows.length === 0) io.out('no dead letters');
        else {
          io.out(`${rows.length} dead letter${rows.length === 1 ? '' : 's'}:`);
          for (const r of rows) {
            io.out(`#${r.id}  ${r.resource} ${r.uuid}  ${r.action}  attempts ${r.attempts}  since ${r.firstSeenAt}`);
            io.out(`     feed ${r.feedUrl}  entry ${r.entryId}`);
            io.out(`     ${r.lastError ?? ''}`);
          }
        }
        return 0;
      }
      if (verb === 'retry') {
        if (!args.all && ids.length === 0) throw new UsageError('say which: atomsync failed retry <id ...> or --all');
        if (ids.some((i) => !/^[0-9]+$/.test(i))) throw new UsageError('ids are the numbers shown by `atomsync failed list`');
        const revived = await inbox.retry(args.all ? 'all' : ids.map(Number));
        if (revived.length > 0) {
          const meta = await readMeta(pool);
          const queue = new RetryQueue(
            { redisUrl, queueName: (args.queue as string | undefined) ?? retryQueueName(meta.node_id) },
            inbox,
            async () => undefined,
            silentLogger,
          );
          await queue.startProducerOnly();
          for (const id of revived) await queue.schedule(id, 0, `-manual${Date.now()}`);
          await queue.stop();
        }
        io.out(revived.length ? `queued again: ${revived.map((i) => `#${i}`).join(' ')}` : 'no matching dead letters');
        return revived.length || args.all ? 0 : 1;
      }
      throw new UsageError(`expected "list" or "retry" (got ${verb ? `"${verb}"` : 'nothing'})`);
    } catch (err) {
      throw explainDbError(err, url); // a usage error comes back as it is
    } finally {
      await pool.end();
    }
  },
};
