// `atomsync clone`: a new node from its parent's bundle, in one step (subscriber/bundle/clone.ts).
import { UsageError, dbUrlArg, intArg, LOG_LEVEL_OPT } from '../../shared/cli/args.ts';
import type { Command } from '../../shared/cli/args.ts';
import { KEY_FILE_OPT, keyFromArgs } from '../../shared/bundle/key-option.ts';
import { createLogger } from '../../shared/logger.ts';
import type { Level } from '../../shared/logger.ts';
import { NODE_ID_PATTERN } from '../../shared/protocol.ts';
import { withCatchment } from '../cli.ts';
import { cloneNode } from './clone.ts';

export const cloneCommand: Command = {
  name: 'clone',
  summary: "make a new node from its parent's bundle: schema, metadata and records loaded in bulk",
  usage: 'atomsync clone --from FILE[,FILE...] --db URL --node-id ID [--feed PARENT_FEED_URL [--catchment UUID[,UUID]]] [--ack-out FILE]',
  options: [
    { name: 'from', type: 'string', env: 'ATOMSYNC_CLONE_FROM', required: true, arg: 'FILE', help: 'the bundle the parent exported for this node (atomsync export --for ID); parts separated by commas' },
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: 'the new database (absent or empty)' },
    { name: 'node-id', type: 'string', env: 'ATOMSYNC_NODE_ID', required: true, arg: 'ID', help: "the new node's id: the one the bundle was exported for" },
    { name: 'feed', type: 'string', env: 'ATOMSYNC_CLONE_FEED', arg: 'URL', help: "the parent's all feed this node will read over HTTP: reading goes on from the copy's position" },
    { name: 'catchment', type: 'string', env: 'ATOMSYNC_CATCHMENT', arg: 'UUID[,UUID]', help: 'with --feed: the catchment the bundle was exported for (the same as export --catchment)' },
    { name: 'ack-out', type: 'string', env: 'ATOMSYNC_IMPORT_ACK_OUT', arg: 'FILE', help: 'write the acknowledgement for the parent (to go on by file)' },
    { name: 'audit-user-id', type: 'string', env: 'ATOMSYNC_AUDIT_USER_ID', default: '1', arg: 'N', help: 'the local users.user_id recorded as the changer where a state names none here' },
    KEY_FILE_OPT,
    LOG_LEVEL_OPT,
  ],
  notes:
    'At the parent: atomsync export --db PARENT --for NEW_ID [--catchment UUID] --out copy.bundle. Then here:\n' +
    'atomsync clone --from copy.bundle --db mysql://.../new --node-id NEW_ID. It refuses a database that has tables,\n' +
    'the parent\'s own node id, and a bundle exported for another node.',
  async run(args, io) {
    const nodeId = String(args['node-id']);
    if (!NODE_ID_PATTERN.test(nodeId)) throw new UsageError(`--node-id must be letters, digits, . _ - (got "${nodeId}")`);
    if (args.catchment !== undefined && args.feed === undefined) throw new UsageError('--catchment goes with --feed');
    const feed = args.feed === undefined ? undefined : withCatchment({ feeds: [String(args.feed)] }, args.catchment as string | undefined).feeds[0];
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'clone' } });
    const started = Date.now();
    await cloneNode({
      dbUrl: dbUrlArg(args),
      nodeId,
      key: keyFromArgs(args, io),
      files: String(args.from).split(',').map((f) => f.trim()).filter(Boolean),
      feed,
      ackOut: args['ack-out'] as string | undefined,
      auditUserId: intArg(args, 'audit-user-id', 1, 2_147_483_647),
      log,
      say: (l) => io.out(l),
    });
    io.out(`node ${nodeId} cloned in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  },
};
