// The publisher over HTTPS, with a throwaway self-signed certificate made by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { Publisher } from '../publisher/publisher.ts';
import { parseFeedPage } from '../subscriber/atom/parse.ts';
import { FEED_PATH } from '../shared/protocol.ts';
import { silentLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { freshDatabase } from './helpers/db.ts';
import { basic } from './helpers/http.ts';

/** The openssl version line, or null when the command is missing. */
function opensslVersion(): string | null {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** A self-signed certificate for 127.0.0.1, valid for one day. */
function makeCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { keyFile, certFile };
}

const openssl = opensslVersion();

test(
  'the publisher serves the feed over HTTPS, and still asks for credentials',
  { skip: openssl ? false : 'the openssl command is not installed, so no test certificate can be made' },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomsync-tls-'));
    const db = await freshDatabase('pubtls');
    let publisher: Publisher | null = null;
    // Trusts exactly the certificate made above, so this also checks that the server presents it.
    let agent: Agent | null = null;
    try {
      const tls = makeCertificate(dir);
      agent = new Agent({ connect: { ca: readFileSync(tls.certFile) } });
      await migrate(db.pool, 'field-a');
      publisher = new Publisher(
        { dbUrl: db.url, port: 0, users: new Map([['hq', 's3cret']]), tls, noRelay: true },
        silentLogger,
      );
      const base = await publisher.start();
      assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
      const url = `${base}${FEED_PATH}/all/recent`;

      const res = await request(url, { dispatcher: agent, headers: { authorization: basic('hq', 's3cret') } });
      const body = await res.body.text();
      assert.equal(res.statusCode, 200, body);
      assert.match(String(res.headers['content-type']), /^application\/atom\+xml/);
      const page = parseFeedPage(body);
      assert.equal(page.entries.length, 0);
      assert.equal(page.links.self, url, 'links name the https origin');

      const anonymous = await request(url, { dispatcher: agent });
      await anonymous.body.dump();
      assert.equal(anonymous.statusCode, 401);
      assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm=/);

      // A client that does not trust the certificate must refuse the connection.
      await assert.rejects(request(url, { headers: { authorization: basic('hq', 's3cret') } }), (err: Error & { code?: string }) => {
        assert.match(`${err.code} ${err.message}`, /SELF_SIGNED|self.signed|certificate/i);
        return true;
      });
    } finally {
      await agent?.close();
      await publisher?.stop();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
