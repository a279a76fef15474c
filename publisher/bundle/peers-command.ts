// `atomsync peers`: per peer reached by file, what was sent, what it acknowledged, what waits.
import { dbUrlArg } from '../../shared/cli/args.ts';
import type { Command } from '../../shared/cli/args.ts';
import { openPool } from '../../shared/db.ts';
import { peerLines } from './peer-lines.ts';

export const peersCommand: Command = {
  name: 'peers',
  summary: 'show, per peer reached by file, what was sent, what it acknowledged and what waits',
  usage: 'atomsync peers --db URL [--json]',
  options: [
    { name: 'db', type: 'string', env: 'ATOMSYNC_DB', required: true, arg: 'URL', help: "this node's database" },
    { name: 'json', type: 'boolean', env: 'ATOMSYNC_PEERS_JSON', help: 'one JSON object per peer' },
  ],
  async run(args, io) {
    const pool = openPool(dbUrlArg(args), { connectionLimit: 2 });
    try {
      const lines = await peerLines(pool);
      if (args.json) {
        for (const l of lines) io.out(JSON.stringify(l));
        return 0;
      }
      if (lines.length === 0) {
        io.out('no peer has been sent a bundle yet (atomsync export --for PEER)');
        return 0;
      }
      io.out('peer                 sent to  acked to  pending  exports  last sent            last acknowledged');
      for (const l of lines) {
        const t = (s: string | null) => (s ?? '-').slice(0, 19).padEnd(19);
        io.out(`${l.peer.padEnd(20)} ${String(l.sentTo).padStart(7)}  ${String(l.ackedTo).padStart(8)}  ${String(l.pending).padStart(7)}  ${String(l.exports).padStart(7)}  ${t(l.lastSentAt)}  ${t(l.lastAckedAt)}`);
      }
      return 0;
    } finally {
      await pool.end();
    }
  },
};
