// `atomsync import`: applies bundles carried from a peer, and takes in the acknowledgements a
// peer sent back (subscriber/bundle/import.ts).
import { UsageError, dbUrlArg, intArg, LOG_LEVEL_OPT } from '../../shared/cli/args.ts';
import type { Command } from '../../shared/cli/args.ts';
import { KEY_FILE_OPT, keyFromArgs } from '../../shared/bundle/key-option.ts';
import { createLogger } from '../../shared/logger.ts';
import type { Level } from '../../shared/logger.ts';
import { importFiles } from './import.ts';

export const importCommand: Command = {
  name: 'import',
  summary: "apply bundles carried from a peer, or take in a peer's acknowledgement",
  usage: 'atomsync import --db URL [--ack-out FILE] [--key-file FILE] FILE...',
  positionals: true,
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database" },
    { name: 'ack-out', type: 'string', env: 'ATOMSYNC_IMPORT_ACK_OUT', arg: 'FILE', help: 'write the acknowledgement to carry back to the exporting node' },
    { name: 'audit-user-id', type: 'string', env: 'ATOMSYNC_AUDIT_USER_ID', default: '1', arg: 'N', help: 'the local users.user_id recorded as the changer where a state names none here' },
    KEY_FILE_OPT,
    LOG_LEVEL_OPT,
  ],
  notes:
    'Every file is checked whole before anything of it is applied: a bundle from anyone without the key, altered\n' +
    'or cut short is refused. Bundles apply in order of position; one already imported changes nothing, one that\n' +
    'starts after a missing one is refused until that one is imported. Exit status 1 when a file was refused.',
  async run(args, io) {
    const files = args._ as string[];
    if (files.length === 0) throw new UsageError('name the bundle or acknowledgement files to import');
    const key = keyFromArgs(args, io);
    const log = createLogger({ level: String(args['log-level']) as Level, bindings: { service: 'import' } });
    const report = await importFiles({
      dbUrl: dbUrlArg(args),
      key,
      files,
      ackOut: args['ack-out'] as string | undefined,
      auditUserId: intArg(args, 'audit-user-id', 1, 2_147_483_647),
      log,
      say: (l) => io.out(l),
    });
    return report.refused.length > 0 ? 1 : 0;
  },
};
