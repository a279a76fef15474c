import { LOG_LEVEL_OPT, UsageError, asUsage, dbUrlArg, intArg, urlArg } from '../shared/cli/args.ts';
import type { Command } from '../shared/cli/args.ts';
import { MAX_PAGE_SIZE } from '../shared/protocol.ts';
import { createLogger } from '../shared/logger.ts';
import type { Level } from '../shared/logger.ts';
import { explainListenError } from '../shared/start-errors.ts';
import { parseUsers } from '../shared/web/basic-auth.ts';
import { RIGHT_WORDS, parseUserRights } from './rights.ts';
import { FAIR_SHARE_DEFAULTS } from './fair-share.ts';
import { parseAllowedHosts } from './host-rule.ts';
import { PUBLISHER_DEFAULTS, Publisher } from './publisher.ts';
import { SNAPSHOT_DEFAULTS } from './snapshot.ts';
import { checkTlsFiles } from './tls-files.ts';

export const publishCommand: Command = {
  name: 'publish',
  summary: "serve this node's changes as an archived Atom feed with REST resources",
  usage: 'atomsync publish --db mysql://root@127.0.0.1:3306/field_a --port 8081 --users hq:secret,erp:other',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database (migrated)" },
    { name: 'node-id', type: 'string', env: 'ATOMSYNC_NODE_ID', arg: 'ID', help: "checked against the database's node id" },
    { name: 'host', type: 'string', env: 'ATOMSYNC_HOST', default: PUBLISHER_DEFAULTS.host, arg: 'ADDR', help: 'address to listen on' },
    { name: 'port', type: 'string', env: 'ATOMSYNC_PORT', default: String(PUBLISHER_DEFAULTS.port), arg: 'N', help: 'port to listen on (0: any free port)' },
    { name: 'users', type: 'string', env: 'ATOMSYNC_USERS', required: true, arg: 'NAME:PASS,...', help: 'subscribers allowed to read (HTTP Basic)' },
    {
      name: 'user-rights', type: 'string', multiple: true, env: 'ATOMSYNC_USER_RIGHTS', arg: 'NAME=RIGHT,...',
      help: `what a user may read: resource names, ${RIGHT_WORDS.all} (every resource and the all feed), ${RIGHT_WORDS.admin} (root page, /metrics), or catchment~{location uuid}~... alone (a child node: that catchment's feed and resources only); a user not named may read everything`,
    },
    {
      name: 'page-size', type: 'string', env: 'ATOMSYNC_PAGE_SIZE', arg: 'N',
      help: `events per feed page; must be the size recorded at the first start (default: that size; ${PUBLISHER_DEFAULTS.pageSize} on a new node)`,
    },
    { name: 'repage', type: 'boolean', env: 'ATOMSYNC_REPAGE', help: 'change the recorded page size to --page-size: complete pages keep theirs, new pages get the new one' },
    { name: 'public-url', type: 'string', env: 'ATOMSYNC_PUBLIC_URL', arg: 'URL', help: 'origin used in links (default: the Host of each request, if allowed)' },
    {
      name: 'allowed-hosts', type: 'string', multiple: true, env: 'ATOMSYNC_ALLOWED_HOSTS', arg: 'NAME[:PORT],...',
      help: 'host names answered to besides the address reached, localhost and --public-url\'s host; any other Host is 400',
    },
    {
      name: 'reader-requests', type: 'string', env: 'ATOMSYNC_READER_REQUESTS', default: String(FAIR_SHARE_DEFAULTS.maxInFlight), arg: 'N',
      help: "one user's requests served at once; more wait in that user's queue",
    },
    {
      name: 'reader-cost', type: 'string', env: 'ATOMSYNC_READER_COST', default: String(FAIR_SHARE_DEFAULTS.maxCost), arg: 'UNITS',
      help: "one user's work at once: 1 a page or resource, 1 per 50 resources of a list, 5 times that as HTML",
    },
    {
      name: 'reader-queue', type: 'string', env: 'ATOMSYNC_READER_QUEUE', default: String(FAIR_SHARE_DEFAULTS.maxQueued), arg: 'N',
      help: "one user's requests waiting; one more is refused (429, Retry-After)",
    },
    {
      name: 'reader-wait-ms', type: 'string', env: 'ATOMSYNC_READER_WAIT_MS', default: String(FAIR_SHARE_DEFAULTS.maxWaitMs), arg: 'MS',
      help: 'longest a request waits in its user\'s queue before it is refused (429)',
    },
    { name: 'tls-key', type: 'string', env: 'ATOMSYNC_TLS_KEY', arg: 'FILE', help: 'PEM private key: serve HTTPS' },
    { name: 'tls-cert', type: 'string', env: 'ATOMSYNC_TLS_CERT', arg: 'FILE', help: 'PEM certificate chain for --tls-key' },
    { name: 'no-relay', type: 'boolean', env: 'ATOMSYNC_NO_RELAY', help: 'serve only; leave numbering events to another publisher process' },
    {
      name: 'snapshot-chunk', type: 'string', env: 'ATOMSYNC_SNAPSHOT_CHUNK', default: String(SNAPSHOT_DEFAULTS.chunkRows), arg: 'N',
      help: "rows per snapshot transaction when publishing existing rows (smaller: shorter locks on the clinic's rows)",
    },
    LOG_LEVEL_OPT,
  ],
  notes:
    'Passwords are compared in constant time and never logged. Prefer ATOMSYNC_USERS to --users,\n' +
    'so they do not show in the process list. Stop with Ctrl-C (SIGINT) or SIGTERM.\n' +
    'Rights: --user-rights erp=patient,encounter,obs --user-rights prometheus=admin. The all feed needs\n' +
    'every resource. A child node: --user-rights district-a=catchment~{location uuid}~{location uuid}.\n' +
    'Wrong passwords are answered later and later; a right one always at once.\n' +
    'The page size is recorded at the first start: archive pages never change, so another size is\n' +
    'refused unless asked for with --repage (stop the running publisher first; see SPEC.md, "Paging").',
  async run(args, io) {
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'publisher' } });
    const tlsKey = args['tls-key'] as string | undefined;
    const tlsCert = args['tls-cert'] as string | undefined;
    if (Boolean(tlsKey) !== Boolean(tlsCert)) throw new UsageError('--tls-key and --tls-cert go together');
    if (args.repage && args['page-size'] === undefined) throw new UsageError('--repage needs --page-size: the size new pages get');
    const users = asUsage(() => parseUsers(String(args.users)));
    const publisher = new Publisher(
      {
        dbUrl: dbUrlArg(args),
        nodeId: args['node-id'] as string | undefined,
        host: String(args.host),
        port: intArg(args, 'port', 0, 65535),
        users,
        rights: asUsage(() => parseUserRights((args['user-rights'] as string[] | undefined) ?? [], users.keys())),
        pageSize: args['page-size'] === undefined ? undefined : intArg(args, 'page-size', 1, MAX_PAGE_SIZE),
        repage: Boolean(args.repage),
        publicUrl: urlArg(args, 'public-url', ['http:', 'https:'], 'https://clinic-a.example.org'),
        allowedHosts: asUsage(() => parseAllowedHosts((args['allowed-hosts'] as string[] | undefined) ?? [])),
        fairShare: {
          maxInFlight: intArg(args, 'reader-requests', 1, 10_000),
          maxCost: intArg(args, 'reader-cost', 1, 1_000_000),
          maxQueued: intArg(args, 'reader-queue', 0, 100_000),
          maxWaitMs: intArg(args, 'reader-wait-ms', 0, 600_000),
        },
        tls: tlsKey && tlsCert ? { keyFile: tlsKey, certFile: tlsCert } : undefined,
        noRelay: Boolean(args['no-relay']),
        snapshot: { chunkRows: intArg(args, 'snapshot-chunk', 1, 100_000) },
      },
      log,
    );
    if (tlsKey && tlsCert) checkTlsFiles(tlsKey, tlsCert);
    // A start that fails has closed what it opened (Publisher.start).
    const url = await publisher.start().catch((err: unknown) => {
      throw explainListenError(err, '--port', '--host');
    });
    io.out(`publishing at ${url}/openmrs/ws/atomfeed/all/recent`);
    const signal = await io.stopSignal;
    log.info('stopping', { signal });
    await publisher.stop();
    return 0;
  },
};
