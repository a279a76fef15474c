// Declarative command-line options: each command lists its flags once, and
// parsing, environment fallbacks, defaults and --help all come from that list.
import { parseArgs } from 'node:util';

export interface Opt {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string;
  required?: boolean;
  /** Placeholder shown in help, e.g. URL. */
  arg?: string;
  help: string;
}

export type Args = Record<string, string | string[] | boolean | undefined>;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Opt[];
  /** Extra help text printed after the options. */
  notes?: string;
  /** The command takes words after its name (available as args._). */
  positionals?: boolean;
  run(args: Args, io: Io): Promise<number>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const LOG_LEVEL_OPT: Opt = {
  name: 'log-level',
  type: 'string',
  env: 'ATOMSYNC_LOG_LEVEL',
  default: 'info',
  arg: 'LEVEL',
  help: 'debug, info, warn or error',
};

export function parseCommand(cmd: Command, argv: string[], env: NodeJS.ProcessEnv): Args | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const o of cmd.options) options[o.name] = o.multiple ? { type: o.type, multiple: true } : { type: o.type };
  let values: Args;
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: Boolean(cmd.positionals) });
    values = { ...(parsed.values as Args), _: parsed.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  if (values.help) return 'help';
  for (const o of cmd.options) {
    if (values[o.name] === undefined && o.env && env[o.env] !== undefined && env[o.env] !== '') {
      const v = env[o.env]!;
      values[o.name] = o.type === 'boolean' ? v === '1' || v === 'true' : o.multiple ? v.split(/\s+/).filter(Boolean) : v;
    }
    if (values[o.name] === undefined && o.default !== undefined) values[o.name] = o.multiple ? [o.default] : o.default;
    if (o.required && (values[o.name] === undefined || (Array.isArray(values[o.name]) && (values[o.name] as string[]).length === 0))) {
      throw new UsageError(`--${o.name} is required${o.env ? ` (or set ${o.env})` : ''}`);
    }
  }
  return values;
}

export function formatHelp(cmd: Command): string {
  const rows = cmd.options.map((o) => {
    const flag = `--${o.name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    const extra = [
      o.required ? 'required' : '',
      o.multiple ? 'repeatable' : '',
      o.default !== undefined ? `default ${o.default}` : '',
      o.env ? `env ${o.env}` : '',
    ].filter(Boolean);
    return [flag, `${o.help}${extra.length ? ` (${extra.join('; ')})` : ''}`];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `atomsync ${cmd.name}: ${cmd.summary}`,
    '',
    `Usage: ${cmd.usage}`,
    '',
    'Options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
    ...(cmd.notes ? ['', cmd.notes] : []),
  ].join('\n');
}

export function intArg(args: Args, name: string, min: number, max: number): number {
  const raw = String(args[name]);
  if (!/^-?[0-9]+$/.test(raw)) throw new UsageError(`--${name} must be a whole number (got "${raw}")`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max} (got ${n})`);
  return n;
}
