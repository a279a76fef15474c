// The real OpenMRS Reference Application database (../shared/fixtures, see its README):
// 151 tables with OpenMRS's own columns and keys, 445 concepts (CIEL uuids), no patients.
// Read from where it lies, never copied into the project; used by the tests and the
// benchmark. `.ci/run` points ATOMSYNC_OPENMRS_FIXTURE at it and sets
// ATOMSYNC_REQUIRE_FIXTURE, so in CI a missing file fails the tests; elsewhere the tests
// that need it are skipped and say why.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDbUrl } from '../../shared/db.ts';

const DEFAULT_PATH = fileURLToPath(new URL('../../../shared/fixtures/openmrs-refapp-2.1.sql', import.meta.url));

export const FIXTURE_PATH = process.env.ATOMSYNC_OPENMRS_FIXTURE || DEFAULT_PATH;

/** Why the fixture cannot be used here, or undefined when it can (a required but missing fixture throws). */
export function fixtureSkipReason(): string | undefined {
  if (existsSync(FIXTURE_PATH)) return undefined;
  const why = `the OpenMRS fixture ${FIXTURE_PATH} is not here (set ATOMSYNC_OPENMRS_FIXTURE to the path of openmrs-refapp-2.1.sql)`;
  if (process.env.ATOMSYNC_REQUIRE_FIXTURE) throw new Error(why);
  return why;
}

/** Loads the dump into the (existing, empty) database named by the URL, with the mariadb client, as its README says. */
export async function loadFixture(dbUrl: string): Promise<void> {
  const c = parseDbUrl(dbUrl);
  const args = ['-h', c.host, '-P', String(c.port), '-u', c.user, ...(c.password ? [`-p${c.password}`] : []), c.database];
  const child = spawn('mariadb', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  createReadStream(FIXTURE_PATH).pipe(child.stdin);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`loading ${FIXTURE_PATH} failed (mariadb exited ${code}): ${err.slice(0, 500)}`);
}
