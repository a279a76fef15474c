import { runDemo } from './demo.ts';
import type { Command } from '../../shared/cli/args.ts';
import { intArg } from '../../shared/cli/args.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'two clinics and HQ on this machine: seed, publish, sync live, verify (the main job to watch)',
  usage: 'atomsync demo [--patients 40] [--duration 30]',
  options: [
    { name: 'db-server', type: 'string', env: 'ATOMSYNC_DB_SERVER', default: 'mysql://root@127.0.0.1:3306', arg: 'URL', help: 'MariaDB server for the demo databases' },
    { name: 'redis', type: 'string', env: 'ATOMSYNC_REDIS', default: 'redis://127.0.0.1:6379', arg: 'URL', help: 'Redis for the retry queue' },
    { name: 'patients', type: 'string', env: 'ATOMSYNC_DEMO_PATIENTS', default: '100', arg: 'N', help: 'patients seeded per clinic' },
    { name: 'duration', type: 'string', env: 'ATOMSYNC_DEMO_DURATION', default: '30', arg: 'S', help: 'seconds of live activity after the catch-up' },
    { name: 'rate', type: 'string', env: 'ATOMSYNC_DEMO_RATE', default: '4', arg: 'N', help: 'changes per second at the clinics while live' },
    { name: 'patience', type: 'string', env: 'ATOMSYNC_DEMO_PATIENCE', default: '60', arg: 'S', help: 'seconds a wait (HQ, the ERP, a process starting) may go without any progress before the demo gives up on it' },
  ],
  notes: 'Recreates the databases demo_field_a, demo_field_b and demo_hq. Ctrl-C ends the activity early;\nHQ still catches up and is verified. Every process the demo starts is stopped when it ends.',
  async run(args, io) {
    return runDemo({
      dbServer: String(args['db-server']).replace(/\/+$/, ''),
      redisUrl: String(args.redis),
      patients: intArg(args, 'patients', 1, 100_000),
      durationS: intArg(args, 'duration', 0, 86_400),
      changesPerS: intArg(args, 'rate', 1, 1000),
      patienceS: intArg(args, 'patience', 1, 86_400),
      out: io.out,
      stopSignal: io.stopSignal,
    });
  },
};
