// Live clinic activity for demos: register a patient, record a visit, fix a
// name, void an encounter. Each action is one transaction, as OpenMRS's own
// services write them, so the triggers publish it as one unit. Deterministic
// given the context's rng and uuid stream and the clock.
import { inTransaction, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { BulkWriter, DEFAULT_ROWS_PER_INSERT } from './bulk-insert.ts';
import type { BulkOptions } from './bulk-insert.ts';
import { prepareNode } from './environment.ts';
import type { NodeEnv, NodeEnvOptions } from './environment.ts';
import { FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, VOID_REASONS } from './names.ts';
import type { EncounterKind } from './plan-obs.ts';
import { planVisitOrders } from './plan-orders.ts';
import { planPatient } from './plan-patient.ts';
import type { Draw, PlanEnv } from './plan-types.ts';
import { planVisit } from './plan-visits.ts';
import { profileOf } from './profile.ts';
import { Rng } from './rng.ts';
import { addMinutes, sqlDate, sqlDatetime } from './sql-time.ts';
import { PROGRAMS } from './record-metadata.ts';
import type { ProgramKey } from './record-metadata.ts';
import { uuidSequence } from './uuid.ts';
import { newWriteContext, writePatients, writeVisits } from './write.ts';

const ADMIN = 1;

export interface LiveContext extends NodeEnv, Draw {
  now: () => Date;
  bulk: BulkOptions;
}

export interface LiveOptions extends NodeEnvOptions {
  /**
   * Names this run's uuid sequence. Use a new one for every run (a start time,
   * a counter): a stream reused on the same node repeats its uuids, and the
   * inserts fail on the unique keys.
   */
  stream: string;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
  /** Defaults to one seeded from (seed, node id, stream). */
  rng?: Rng;
}

export class PatientNotFoundError extends Error {
  override name = 'PatientNotFoundError';
  constructor(readonly patientId: number) {
    super(`patient ${patientId} does not exist or is voided`);
  }
}

/** Prepares the node (metadata, site) and returns a context for the live actions. */
export async function openLiveContext(pool: Pool, opts: LiveOptions): Promise<LiveContext> {
  const env = await prepareNode(pool, opts);
  return {
    ...env,
    rng: opts.rng ?? Rng.from(env.seed, env.nodeId, 'live', opts.stream),
    uuid: uuidSequence(env.seed, env.nodeId, 'live', opts.stream),
    now: opts.now ?? (() => new Date()),
    bulk: { idStrategy: env.idStrategy, rowsPerInsert: DEFAULT_ROWS_PER_INSERT, shape: env.shape },
  };
}

/** The planners' view at this moment: nothing may be dated after now. */
function envNow(ctx: LiveContext): PlanEnv & { now: Date } {
  const now = ctx.now();
  return { meta: ctx.meta, site: ctx.site, endAt: now, now };
}

/** Registers a new patient (person, name, address, OpenMRS ID): an active one, whom a caller can give a visit or a new name. */
export async function createPatient(pool: Pool, ctx: LiveContext): Promise<{ patientId: number; uuid: string }> {
  const env = envNow(ctx);
  const plan = planPatient(env, ctx, addMinutes(env.now, -ctx.rng.int(1, 15)));
  // The history's plan voids 1 patient in 200 as a duplicate, which here would happen within
  // minutes of registering: callers got a voided patient ("patient 20 does not exist or is voided",
  // a name edit that found no name) in about one test run in ten. The draws stay as they are; only
  // that void is left out.
  const dup = plan.audit.voided;
  if (dup) {
    for (const r of [plan, ...plan.names, ...plan.addresses, ...plan.identifiers]) if (r.audit.voided === dup) delete r.audit.voided;
  }
  const [patientId] = await inTransaction(pool, (conn) => writePatients(new BulkWriter(conn, ctx.bulk), [plan], { idPrefix: ctx.idPrefix }));
  return { patientId, uuid: plan.uuid };
}

const LIVE_VISITS: ReadonlyArray<readonly [EncounterKind, number]> = [
  ['visitNote', 7],
  ['vitals', 2],
  ['labResults', 1],
];

/**
 * Records a visit that just ended, with one encounter of 10 to 30 obs and its providers.
 * A Visit Note also holds its diagnoses and, most of the time, a drug order for each
 * (sometimes a test order); `orders` counts them.
 */
export async function createVisitWithEncounter(
  pool: Pool,
  ctx: LiveContext,
  patientId: number,
): Promise<{ visitId: number; encounterId: number; obs: number; orders: number }> {
  const env = envNow(ctx);
  const [person] = await queryRows<{ uuid: string; gender: string; birthdate: string | null }>(
    pool,
    'SELECT p.uuid, p.gender, p.birthdate FROM person p JOIN patient pt ON pt.patient_id = p.person_id WHERE p.person_id = ? AND p.voided = 0',
    [patientId],
  );
  if (!person) throw new PatientNotFoundError(patientId);
  const profile = profileOf({
    uuid: person.uuid,
    gender: person.gender === 'F' ? 'F' : 'M',
    // Patients registered without a birthdate are treated as adults.
    birthdate: new Date(`${person.birthdate ?? '1990-01-01'}T00:00:00Z`),
  });
  const kind = ctx.rng.weighted(LIVE_VISITS);
  const visit = planVisit(env, ctx, profile, addMinutes(env.now, -ctx.rng.int(45, 120)), [kind], { endAt: env.now });
  const encounter = visit.encounters[0];
  // Live order numbers come from the run's uuid stream: 48 bits, unique in practice beside the seeded ORD-<prefix>-<patient>-<n>.
  const orderNumber = () => `ORD-${ctx.idPrefix}-L${ctx.uuid().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
  planVisitOrders({ env, draw: ctx, ageYears: (env.now.getTime() - profile.birthdate.getTime()) / (365.25 * 86_400_000), orderNumber }, visit);
  return inTransaction(pool, async (conn) => {
    const bulk = new BulkWriter(conn, ctx.bulk);
    const [visitId] = await writeVisits(bulk, [{ patientId, visit }], newWriteContext(ctx.meta.record));
    const [row] = await queryRows<{ id: number }>(conn, 'SELECT encounter_id AS id FROM encounter WHERE uuid = ?', [encounter.uuid]);
    const count = (o: (typeof encounter.obs)[number]): number => 1 + (o.correction ? 1 : 0) + o.members.reduce((s, m) => s + count(m), 0);
    return { visitId, encounterId: Number(row.id), obs: encounter.obs.reduce((s, o) => s + count(o), 0), orders: bulk.byTable.get('orders') ?? 0 };
  });
}

/**
 * Edits a patient's preferred name in place (a corrected given name, or a new
 * family name), as the registration app does. Returns false when the patient
 * has no active preferred name.
 */
export async function editPatientName(pool: Pool, ctx: LiveContext, patientId: number): Promise<boolean> {
  const at = sqlDatetime(ctx.now());
  return inTransaction(pool, async (conn) => {
    const [row] = await queryRows<{ id: number; given: string | null; family: string | null; gender: string }>(
      conn,
      `SELECT n.person_name_id AS id, n.given_name AS given, n.family_name AS family, p.gender
       FROM person_name n JOIN person p ON p.person_id = n.person_id
       WHERE n.person_id = ? AND n.voided = 0 ORDER BY n.preferred DESC, n.person_name_id LIMIT 1 FOR UPDATE`,
      [patientId],
    );
    if (!row) return false;
    let given = row.given;
    let family = row.family;
    const other = (list: readonly string[], not: string | null) => ctx.rng.pick(list.filter((x) => x !== not));
    if (ctx.rng.chance(0.6)) given = other(row.gender === 'F' ? FEMALE_GIVEN_NAMES : MALE_GIVEN_NAMES, given);
    else family = other(FAMILY_NAMES, family);
    await conn.query(
      'UPDATE person_name SET given_name = ?, family_name = ?, changed_by = ?, date_changed = ? WHERE person_name_id = ?',
      [given, family, ADMIN, at, row.id],
    );
    return true;
  });
}

/**
 * Voids an encounter and all its obs, as OpenMRS's voidEncounter does. Returns
 * how many obs it voided; `voided` is false when the encounter was already voided
 * or does not exist.
 */
export async function voidEncounter(
  pool: Pool,
  ctx: LiveContext,
  encounterId: number,
  reason: string = ctx.rng.pick(VOID_REASONS),
): Promise<{ voided: boolean; obs: number }> {
  const at = sqlDatetime(ctx.now());
  return inTransaction(pool, async (conn) => {
    const [enc] = (await conn.query(
      'UPDATE encounter SET voided = 1, voided_by = ?, date_voided = ?, void_reason = ? WHERE encounter_id = ? AND voided = 0',
      [ADMIN, at, reason, encounterId],
    )) as unknown as [{ affectedRows: number }];
    if (enc.affectedRows === 0) return { voided: false, obs: 0 };
    const [obs] = (await conn.query(
      'UPDATE obs SET voided = 1, voided_by = ?, date_voided = ?, void_reason = ? WHERE encounter_id = ? AND voided = 0',
      [ADMIN, at, reason, encounterId],
    )) as unknown as [{ affectedRows: number }];
    return { voided: true, obs: obs.affectedRows };
  });
}

async function pickRow(pool: Pool, rng: Rng, table: string, key: string): Promise<number | null> {
  const [{ n }] = await queryRows<{ n: number }>(pool, `SELECT COUNT(*) AS n FROM ${table} WHERE voided = 0`);
  if (Number(n) === 0) return null;
  const [row] = await queryRows<{ id: number }>(pool, `SELECT ${key} AS id FROM ${table} WHERE voided = 0 ORDER BY ${key} LIMIT 1 OFFSET ?`, [
    rng.int(0, Number(n) - 1),
  ]);
  return row ? Number(row.id) : null;
}

/** A random non-voided patient, or null when there is none. */
export function pickPatientId(pool: Pool, rng: Rng): Promise<number | null> {
  return pickRow(pool, rng, 'patient', 'patient_id');
}

/** A random non-voided encounter, or null when there is none. */
export function pickEncounterId(pool: Pool, rng: Rng): Promise<number | null> {
  return pickRow(pool, rng, 'encounter', 'encounter_id');
}

/** The state a program's patients move to from each state (keys of PROGRAMS[program].states). */
const NEXT_STATES: Record<ProgramKey, Record<string, ReadonlyArray<readonly [string, number]>>> = {
  hiv: { preArt: [['onArt', 1]], onArt: [['defaulted', 3], ['transferredOut', 1]], defaulted: [['onArt', 1]] },
  tb: { intensive: [['continuation', 1]], continuation: [['cured', 3], ['completed', 2]] },
};

export interface StateChange {
  patientProgramId: number;
  program: ProgramKey;
  from: string;
  to: string;
  /** The new state is terminal: the enrolment was completed with it. */
  completed: boolean;
}

/**
 * Moves a random open program enrolment to its next state, as OpenMRS's transitionToState
 * does: the current patient_state gets today as end_date, a new one starts today, and a
 * terminal state completes the enrolment. One transaction; null when no enrolment can move.
 */
export async function advanceProgramState(pool: Pool, ctx: LiveContext): Promise<StateChange | null> {
  const programs = ctx.meta.record.program;
  if (!programs || !ctx.shape.has('patient_state')) return null;
  const byStateId = new Map<number, { program: ProgramKey; key: string }>();
  for (const program of Object.keys(PROGRAMS) as ProgramKey[]) {
    for (const [key, id] of Object.entries(programs[program].states)) if (NEXT_STATES[program][key]) byStateId.set(id, { program, key });
  }
  const now = ctx.now();
  const at = sqlDatetime(now);
  const today = sqlDate(now);
  return inTransaction(pool, async (conn) => {
    const open = await queryRows<{ id: number; pp: number; state: number }>(
      conn,
      `SELECT s.patient_state_id AS id, s.patient_program_id AS pp, s.state FROM patient_state s
       JOIN patient_program p ON p.patient_program_id = s.patient_program_id
       WHERE s.end_date IS NULL AND s.voided = 0 AND p.voided = 0 AND p.date_completed IS NULL AND s.start_date < ? AND s.state IN (?)
       ORDER BY s.patient_state_id`,
      [today, [...byStateId.keys()]],
    );
    if (open.length === 0) return null;
    const cur = ctx.rng.pick(open);
    const { program, key } = byStateId.get(Number(cur.state))!;
    const to = ctx.rng.weighted(NEXT_STATES[program][key]);
    const state = PROGRAMS[program].states[to as keyof (typeof PROGRAMS)[typeof program]['states']] as { terminal: boolean; concept: keyof typeof ctx.meta.concept };
    await conn.query('UPDATE patient_state SET end_date = ?, changed_by = ?, date_changed = ? WHERE patient_state_id = ?', [today, ADMIN, at, cur.id]);
    await conn.query(
      'INSERT INTO patient_state (patient_program_id, state, start_date, creator, date_created, uuid) VALUES (?, ?, ?, ?, ?, ?)',
      [cur.pp, programs[program].states[to], today, ADMIN, at, ctx.uuid()],
    );
    if (state.terminal) {
      await conn.query('UPDATE patient_program SET date_completed = ?, outcome_concept_id = ?, changed_by = ?, date_changed = ? WHERE patient_program_id = ?', [
        at, ctx.meta.concept[state.concept], ADMIN, at, cur.pp,
      ]);
    }
    return { patientProgramId: Number(cur.pp), program, from: key, to, completed: state.terminal };
  });
}
