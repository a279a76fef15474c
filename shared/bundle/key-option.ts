// The bundle key on the command line: --key-file, or ATOMSYNC_BUNDLE_KEY (export and import alike).
import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/args.ts';
import type { Args, Io, Opt } from '../cli/args.ts';
import { bundleKey } from './format.ts';

export const KEY_FILE_OPT: Opt = {
  name: 'key-file',
  type: 'string',
  env: 'ATOMSYNC_BUNDLE_KEY_FILE',
  arg: 'FILE',
  help: 'file holding the key both nodes share (or set ATOMSYNC_BUNDLE_KEY); bundles are signed and checked with it',
};

export function keyFromArgs(args: Args, io: Io): Buffer {
  const file = args['key-file'] as string | undefined;
  let text = io.env.ATOMSYNC_BUNDLE_KEY;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--key-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  try {
    return bundleKey(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
