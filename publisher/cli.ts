import { LOG_LEVEL_OPT, UsageError, asUsage, dbUrlArg, intArg, urlArg } from '../shared/cli/args.ts';
import type { Command } from '../shared/cli/args.ts';
import { MAX_PAGE_SIZE } from '../shared/constants.ts';
import { createLogger } from '../shared/logger.ts';
import type { Level } from '../shared/logger.ts';
import { explainListenError } from '../shared/start-errors.ts';
import { parseUsers } from './auth.ts';
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
      name: 'page-size', type: 'string', env: 'ATOMSYNC_PAGE_SIZE', arg: 'N',
      help: `events per feed page; must be the size recorded at the first start (default: that size; ${PUBLISHER_DEFAULTS.pageSize} on a new node)`,
    },
    { name: 'repage', type: 'boolean', env: 'ATOMSYNC_REPAGE', help: 'change the recorded page size to --page-size: complete pages keep theirs, new pages get the new one' },
    { name: 'public-url', type: 'string', env: 'ATOMSYNC_PUBLIC_URL', arg: 'URL', help: 'origin used in links (default: from each request)' },
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
    'The page size is recorded at the first start: archive pages never change, so another size is\n' +
    'refused unless asked for with --repage (stop the running publisher first; see SPEC.md, "Paging").',
  async run(args, io) {
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'publisher' } });
    const tlsKey = args['tls-key'] as string | undefined;
    const tlsCert = args['tls-cert'] as string | undefined;
    if (Boolean(tlsKey) !== Boolean(tlsCert)) throw new UsageError('--tls-key and --tls-cert go together');
    if (args.repage && args['page-size'] === undefined) throw new UsageError('--repage needs --page-size: the size new pages get');
    const publisher = new Publisher(
      {
        dbUrl: dbUrlArg(args),
        nodeId: args['node-id'] as string | undefined,
        host: String(args.host),
        port: intArg(args, 'port', 0, 65535),
        users: asUsage(() => parseUsers(String(args.users))),
        pageSize: args['page-size'] === undefined ? undefined : intArg(args, 'page-size', 1, MAX_PAGE_SIZE),
        repage: Boolean(args.repage),
        publicUrl: urlArg(args, 'public-url', ['http:', 'https:'], 'https://clinic-a.example.org'),
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
