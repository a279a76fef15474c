// `atomsync duplicates`: scan, list, show and reject against the real MariaDB, on our migrated
// schema and on a real OpenMRS one (the Reference Application fixture).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../bin/main.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { scanDuplicates } from '../subscriber/duplicates/scan.ts';
import { listCandidates } from '../subscriber/duplicates/store.ts';
import { writeDuplicatePopulation } from '../tools/seed/duplicates.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';

const CREATED = '2024-01-01 00:00:00';
const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface P { n: number; given: string; family: string; gender: string; birthdate: string; clinicId?: string; voided?: boolean }

async function addPatients(db: TestDb, people: P[]): Promise<void> {
  const ids = await (await import('../tools/seed/duplicates.ts')).ensurePopulationMetadata(db.pool);
  for (const p of people) {
    const id = 1000 + p.n;
    await db.pool.query('INSERT INTO person (person_id, gender, birthdate, creator, date_created, uuid) VALUES (?, ?, ?, 1, ?, ?)', [id, p.gender, p.birthdate, CREATED, U(p.n)]);
    await db.pool.query('INSERT INTO patient (patient_id, creator, date_created, voided) VALUES (?, 1, ?, ?)', [id, CREATED, p.voided ? 1 : 0]);
    await db.pool.query('INSERT INTO person_name (person_id, preferred, given_name, family_name, creator, date_created, uuid) VALUES (?, 1, ?, ?, 1, ?, UUID())', [id, p.given, p.family, CREATED]);
    await db.pool.query('INSERT INTO patient_identifier (patient_id, identifier, identifier_type, location_id, creator, date_created, uuid) VALUES (?, ?, ?, ?, 1, ?, UUID())', [
      id, p.clinicId ?? `C-${p.n}`, ids.nationalIdType, ids.location, CREATED,
    ]);
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, stopSignal: new Promise<string>(() => undefined) };
  const { COMMANDS } = await import('../bin/main.ts');
  const cmd = COMMANDS.find((c) => c.name === 'duplicates')!;
  const { parseCommand } = await import('../shared/cli/args.ts');
  const args = parseCommand(cmd, argv, {});
  assert.notEqual(args, 'help');
  const code = await cmd.run(args as Exclude<typeof args, 'help'>, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const PEOPLE: P[] = [
  { n: 1, given: 'Grace', family: 'Achieng', gender: 'F', birthdate: '1990-04-12' },
  { n: 2, given: 'Grcae', family: 'ACHIENG', gender: 'F', birthdate: '1990-12-04' }, // typo, day/month swapped: probable
  { n: 3, given: 'Peter', family: 'Kamau', gender: 'M', birthdate: '1975-01-30', clinicId: 'NID-777' },
  { n: 4, given: 'Petero', family: 'Njoroge', gender: 'M', birthdate: '1981-06-02', clinicId: 'NID-777' }, // same id: certain
  { n: 5, given: 'Grace', family: 'Achieng', gender: 'F', birthdate: '1968-09-21' }, // a namesake, 22 years older
  { n: 6, given: 'Grace', family: 'Achieng', gender: 'F', birthdate: '1990-04-12', voided: true }, // voided: never proposed
  // Seven people with the placeholder "0" for an identifier: no certain pairs among them.
  ...['Amina', 'Baraka', 'Chebet', 'Dube', 'Emeka', 'Faith', 'Grace'].map((given, i) => ({ n: 10 + i, given, family: `Zulu${'x'.repeat(i)}`, gender: 'M', birthdate: `19${50 + i * 5}-02-03`, clinicId: '0' })),
];

test('scan finds the certain and probable pairs, skips voided patients and placeholder identifiers, is idempotent; reject sticks', async () => {
  const db = await freshDatabase('dup_scan');
  try {
    await migrate(db.pool, 'hq', { snapshot: false });
    await addPatients(db, PEOPLE);
    const lines: string[] = [];
    const first = await scanDuplicates(db.pool, { progress: (l) => lines.push(l) });
    assert.equal(first.patients, 12);
    assert.equal(first.placeholders, 1);
    const pairs = (await listCandidates(db.pool)).map((c) => `${c.patientA} ${c.patientB} ${c.class}`);
    assert.deepEqual(pairs.sort(), [`${U(1)} ${U(2)} probable`, `${U(3)} ${U(4)} certain`].sort());
    for (const l of lines) assert.doesNotMatch(l, /grace|achieng|peter|kamau|NID-777/i, 'progress lines hold no names or identifiers');
    const again = await scanDuplicates(db.pool);
    assert.equal(again.newPairs, 0);
    const listed = await cli('list', '--db', db.url);
    assert.equal(listed.code, 0);
    assert.match(listed.out, new RegExp(`${U(3)}  ${U(4)}  certain`));
    const id = (await listCandidates(db.pool)).find((c) => c.class === 'probable')!.id;
    const shown = await cli('show', String(id), '--db', db.url);
    assert.match(shown.out, /Grace Achieng/);
    assert.match(shown.out, /Grcae ACHIENG/);
    assert.match(shown.out, /birthdate swapped/);
    const rejected = await cli('reject', String(id), '--db', db.url);
    assert.match(rejected.out, /rejected/);
    await cli('scan', '--db', db.url);
    const all = await listCandidates(db.pool, { status: 'all' });
    assert.equal(all.length, 2, 'the rejected pair is not added again');
    assert.equal(all.find((c) => c.id === id)!.status, 'rejected');
    assert.doesNotMatch((await cli('list', '--db', db.url)).out, new RegExp(U(2)));
    assert.match((await cli('reject', String(id), '--db', db.url)).out, /rejected already/);
    // Merged in OpenMRS since (the other record voided): the pair is flagged in the list.
    await db.pool.query('UPDATE patient SET voided = 1 WHERE patient_id = ?', [1004]);
    assert.match((await cli('list', '--db', db.url)).out, new RegExp(`${U(4)}  certain .*\\(patient B voided or gone\\)`));
  } finally {
    await db.drop();
  }
});

test('certain follows the identifier type: a per-location number only at the same location, a non-unique one never', async () => {
  const db = await freshDatabase('dup_scopes');
  try {
    await migrate(db.pool, 'hq', { snapshot: false });
    const ids = await (await import('../tools/seed/duplicates.ts')).ensurePopulationMetadata(db.pool);
    await db.pool.query("INSERT INTO location (name, creator, date_created, uuid) VALUES ('Second Clinic', 1, ?, UUID())", [CREATED]);
    const [[{ other }]] = (await db.pool.query('SELECT MAX(location_id) AS other FROM location')) as unknown as [[{ other: number }]];
    for (const [name, behaviour] of [['Register number', 'LOCATION'], ['Household number', 'NON_UNIQUE']]) {
      await db.pool.query('INSERT INTO patient_identifier_type (name, uniqueness_behavior, creator, date_created, uuid) VALUES (?, ?, 1, ?, UUID())', [name, behaviour, CREATED]);
    }
    const type = async (name: string) => ((await db.pool.query('SELECT patient_identifier_type_id AS id FROM patient_identifier_type WHERE name = ?', [name])) as unknown as [[{ id: number }]])[0][0].id;
    const [register, household] = [await type('Register number'), await type('Household number')];
    const people: Array<[number, string, string, number, number]> = [
      // n, given, family, identifier type, location
      [1, 'Amina', 'Okello', register, ids.location], [2, 'Baraka', 'Phiri', register, other], // same number, two clinics: two people
      [3, 'Chebet', 'Mollel', register, ids.location], // same number, same clinic as 1: certain
      [4, 'Dube', 'Tembo', household, ids.location], [5, 'Emeka', 'Banda', household, ids.location], // a household shares its number
    ];
    for (const [n, given, family, t, loc] of people) {
      const id = 2000 + n;
      await db.pool.query('INSERT INTO person (person_id, gender, birthdate, creator, date_created, uuid) VALUES (?, ?, ?, 1, ?, ?)', [id, 'F', `19${60 + n * 7}-03-0${n}`, CREATED, U(100 + n)]);
      await db.pool.query('INSERT INTO patient (patient_id, creator, date_created) VALUES (?, 1, ?)', [id, CREATED]);
      await db.pool.query('INSERT INTO person_name (person_id, preferred, given_name, family_name, creator, date_created, uuid) VALUES (?, 1, ?, ?, 1, ?, UUID())', [id, given, family, CREATED]);
      await db.pool.query('INSERT INTO patient_identifier (patient_id, identifier, identifier_type, location_id, creator, date_created, uuid) VALUES (?, ?, ?, ?, 1, ?, UUID())', [
        id, t === register ? 'R-17/2020' : 'HH-9', t, loc, CREATED,
      ]);
    }
    await scanDuplicates(db.pool);
    const pairs = (await listCandidates(db.pool)).map((c) => `${c.patientA} ${c.patientB} ${c.class}`);
    assert.deepEqual(pairs, [`${U(101)} ${U(103)} certain`]);
  } finally {
    await db.drop();
  }
});

test('the CLI refuses merge (not built) and bad flags', async () => {
  const db = await freshDatabase('dup_cli');
  try {
    const code = await main(['duplicates', 'merge', '--db', db.url], {});
    assert.equal(code, 2);
    assert.equal(await main(['duplicates', 'scan', '--db', db.url, '--probable-at', 'x'], {}), 2);
    assert.equal(await main(['duplicates', 'show', '--db', db.url], {}), 2);
  } finally {
    await db.drop();
  }
});

const skip = fixtureSkipReason();

test('scan on a real OpenMRS database (Reference Application 2.1), not migrated by atomsync', { skip, timeout: 120_000 }, async () => {
  const db = await freshDatabase('dup_refapp');
  try {
    await loadFixture(db.url);
    const written = await writeDuplicatePopulation(db.pool, { people: 300, duplicateShare: 0.1, seed: 'refapp' });
    const r = await scanDuplicates(db.pool);
    assert.equal(r.patients, written.patients);
    const found = await listCandidates(db.pool);
    const truth = new Set(written.truth.map((p) => [p.a, p.b].sort().join(' ')));
    const hits = found.filter((c) => truth.has(`${c.patientA} ${c.patientB}`)).length;
    assert.ok(hits >= 0.9 * truth.size, `${hits} of ${truth.size} duplicates found`);
    assert.match((await cli('show', String(found[0].id), '--db', db.url)).out, /patient A/);
  } finally {
    await db.drop();
  }
});
