// A small leveled logger, passed in rather than imported as a global.
// Lines are JSON so an admin can grep them; patient names and identifiers are never logged.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(
  opts: { level?: Level; bindings?: Record<string, unknown>; write?: (line: string) => void } = {},
): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const bindings = opts.bindings ?? {};
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: Level, msg: string, data?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const extra = data ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v instanceof Error ? v.message : v])) : {};
    write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...bindings, ...extra }));
  };
  return {
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    child: (b) => createLogger({ ...opts, bindings: { ...bindings, ...b } }),
  };
}

/** For tests and library use: drops everything. */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => undefined });
