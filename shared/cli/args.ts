// Declarative command-line options: each command lists its flags once, and
// parsing, environment fallbacks, defaults and --help all come from that list.
import { parseArgs } from 'node:util';
import { parseDbUrl } from '../db.ts';
import { withoutPassword } from '../start-errors.ts';

export interface Opt {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string;
  required?: boolean;
  /** The only values allowed (a string option). */
  choices?: readonly string[];
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
  choices: ['debug', 'info', 'warn', 'error'],
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
      values[o.name] = o.type === 'boolean' ? envBoolean(o.env, v) : o.multiple ? v.split(/\s+/).filter(Boolean) : v;
    }
    if (values[o.name] === undefined && o.default !== undefined) values[o.name] = o.multiple ? [o.default] : o.default;
    if (o.required && (values[o.name] === undefined || (Array.isArray(values[o.name]) && (values[o.name] as string[]).length === 0))) {
      throw new UsageError(`--${o.name} is required${o.env ? ` (or set ${o.env})` : ''}`);
    }
    const value = values[o.name];
    if (o.choices && typeof value === 'string' && !o.choices.includes(value)) {
      throw new UsageError(`--${o.name} must be one of ${o.choices.join(', ')} (got "${value}")`);
    }
  }
  return values;
}

/** A boolean option's environment value; anything but these is refused rather than read as false. */
function envBoolean(name: string, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new UsageError(`${name} must be 1 or 0 (or true/false, yes/no, on/off) (got "${v}")`);
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

/** Runs a check of option values; what it throws becomes a UsageError, prefixed with `flag` when given. */
export function asUsage<T>(check: () => T, flag?: string): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag ? `${flag}: ` : ''}${(err as Error).message}`);
  }
}

/** --db, checked before anything is opened (the message never shows the password). */
export function dbUrlArg(args: Args, name = 'db'): string {
  const url = String(args[name]);
  asUsage(() => parseDbUrl(url), `--${name}`);
  return url;
}

/** An optional URL option with one of `protocols` (like 'https:'); the value is shown without its password. */
export function urlArg(args: Args, name: string, protocols: string[], example: string): string | undefined {
  if (args[name] === undefined) return undefined;
  const raw = String(args[name]);
  let u: URL | null = null;
  try {
    u = new URL(raw);
  } catch {
    // refused below
  }
  if (!u || !protocols.includes(u.protocol) || !u.hostname) {
    throw new UsageError(`--${name} must be a URL like ${example} (got "${withoutPassword(raw)}")`);
  }
  return raw;
}
