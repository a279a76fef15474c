// --tls-key and --tls-cert, checked before the publisher opens anything: a file that
// cannot be read, or a key and certificate that are not a pair, is said plainly.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { StartError } from '../shared/start-errors.ts';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'not readable by this user',
  EISDIR: 'it is a directory',
};

export function checkTlsFiles(keyFile: string, certFile: string): void {
  const key = read(keyFile, '--tls-key');
  const cert = read(certFile, '--tls-cert');
  try {
    createSecureContext({ key, cert });
  } catch (err) {
    // OpenSSL's words, without its error number: "PEM routines::no start line", "key values mismatch".
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/, '');
    throw new StartError(`--tls-key ${keyFile} and --tls-cert ${certFile} are not a PEM private key and its certificate (${reason})`, 'ERR_TLS_FILES', {
      cause: err,
    });
  }
}

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new StartError(`cannot read ${flag} ${file}: ${WHY[code] ?? code}`, code, { cause: err });
  }
}
