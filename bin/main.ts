// `atomsync <command>`: the one entry point. The environment and flags are read
// here and nowhere else; commands get plain values.
import type { Command, Io } from '../shared/cli/args.ts';
import { UsageError, formatHelp, parseCommand } from '../shared/cli/args.ts';
import { migrateCommand } from '../shared/cli/migrate-command.ts';
import { seedCommand } from '../tools/seed/seed-command.ts';
import { demoCommand } from '../tools/demo/demo-command.ts';
import { publishCommand } from '../publisher/cli.ts';
import { snapshotCommand } from '../publisher/snapshot-command.ts';
import { failedCommand, subscribeCommand } from '../subscriber/cli.ts';
import { erpCommand } from '../subscriber/erp/erp-command.ts';
import { conflictsCommand } from '../subscriber/conflicts-command.ts';
import { verifyCommand } from '../tools/verify-command.ts';
import { catchmentsCommand } from '../publisher/catchments/catchments-command.ts';
import { duplicatesCommand } from '../subscriber/duplicates/duplicates-command.ts';
import { exportCommand } from '../publisher/bundle/export-command.ts';
import { peersCommand } from '../publisher/bundle/peers-command.ts';
import { importCommand } from '../subscriber/bundle/import-command.ts';
import { cloneCommand } from '../subscriber/bundle/clone-command.ts';

/** Every command, in the order `atomsync --help` lists them. */
export const COMMANDS: Command[] = [demoCommand, migrateCommand, seedCommand, publishCommand, snapshotCommand, subscribeCommand, erpCommand, failedCommand, conflictsCommand, duplicatesCommand, catchmentsCommand, exportCommand, importCommand, peersCommand, cloneCommand, verifyCommand];

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'atomsync: keeps the OpenMRS databases of many clinics in sync over Atom feeds',
    '',
    'Usage: atomsync <command> [options]     atomsync <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Until the command returns, the first SIGINT/SIGTERM asks it to stop (a second one kills).
  let stop: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  for (const s of SIGNALS) process.once(s, stop);
  const io: Io = {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    env,
    stopSignal,
  };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`atomsync: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  try {
    const args = parseCommand(cmd, rest, env);
    if (args === 'help') {
      io.out(formatHelp(cmd));
      return 0;
    }
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`atomsync ${cmd.name}: ${err.message}\nRun "atomsync ${cmd.name} --help" for the options.`);
      return 2;
    }
    io.err(`atomsync ${cmd.name}: ${(err as Error).message}`);
    return 1;
  } finally {
    // Once it has returned, a signal must end the process again, not be swallowed.
    for (const s of SIGNALS) process.off(s, stop);
  }
}
