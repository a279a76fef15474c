// `atomsync export`: a bundle of every change a peer has not acknowledged, for a site reached
// by carrying a file (publisher/bundle/export.ts).
import { UsageError, dbUrlArg } from '../../shared/cli/args.ts';
import type { Command } from '../../shared/cli/args.ts';
import { KEY_FILE_OPT, keyFromArgs } from '../../shared/bundle/key-option.ts';
import { NODE_ID_PATTERN } from '../../shared/protocol.ts';
import { openPool } from '../../shared/db.ts';
import { explainDbError } from '../../shared/start-errors.ts';
import { exportBundle } from './export.ts';

/** "512k", "1.4m", "2g" or bytes. */
export function parseSize(raw: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)b?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`--max-size must be a size like 1400k, 100m or 2g (got "${raw}")`);
  const n = Math.floor(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']);
  if (n < 4096) throw new UsageError('--max-size must be at least 4k');
  return n;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a bundle of the changes a peer has not acknowledged, to carry by hand',
  usage: 'atomsync export --db URL --for PEER --out FILE [--max-size 100m] [--key-file FILE]',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database" },
    { name: 'for', type: 'string', env: 'ATOMSYNC_EXPORT_FOR', required: true, arg: 'PEER', help: 'node id of the peer the bundle is for' },
    { name: 'out', type: 'string', env: 'ATOMSYNC_EXPORT_OUT', required: true, arg: 'FILE', help: 'file to write; parts are FILE.1-of-N ...' },
    { name: 'catchment', type: 'string', env: 'ATOMSYNC_EXPORT_CATCHMENT', arg: 'UUID[,UUID]', help: "the peer's catchment (location uuids, each with the locations under it): only what its catchment feed would carry" },
    { name: 'max-size', type: 'string', env: 'ATOMSYNC_EXPORT_MAX_SIZE', arg: 'SIZE', help: 'largest file (like 1400k or 2g); bigger exports are split into numbered parts' },
    KEY_FILE_OPT,
  ],
  notes:
    'The bundle holds every change since the last one the peer acknowledged (atomsync import --ack-out at the peer,\n' +
    'then atomsync import of that file here), with the states they name and what those refer to. Exporting again\n' +
    'before an acknowledgement comes back sends the same changes again (and any new ones); importing twice is harmless.',
  async run(args, io) {
    const peer = String(args.for);
    if (!NODE_ID_PATTERN.test(peer)) throw new UsageError(`--for must be a node id (letters, digits, . _ -), got "${peer}"`);
    const maxBytes = args['max-size'] === undefined ? undefined : parseSize(String(args['max-size']));
    const key = keyFromArgs(args, io);
    const url = dbUrlArg(args);
    const pool = openPool(url, { connectionLimit: 4 });
    try {
      const catchment = args.catchment === undefined ? undefined : String(args.catchment).split(',').map((u) => u.trim()).filter(Boolean);
      const r = await exportBundle({ pool, key, peer, out: String(args.out), maxBytes, catchment, progress: (l) => io.out(l) }).catch((err) => {
        throw explainDbError(err, url);
      });
      if (r.files.length === 0) {
        io.out(`nothing to send: ${peer} has acknowledged every change of ${r.origin}`);
        return 0;
      }
      for (const f of r.files) io.out(`${f.file}: changes ${f.from + 1} to ${f.to} (${f.events} events, ${f.resources} states, ${f.bytes} bytes)`);
      io.out(`bundle ${r.exportId} for ${peer} written: ${r.files.length} file(s); the peer imports every part, in one command or in order`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
