// `seedNode`: fills a migrated node database with a deterministic clinic
// history. Patient i's names, values, dates and uuids depend only on (seed,
// node id, i), never on batch size or on what ran before, so a rerun skips
// the batches already written and an interrupted seed can simply run again.
import { inTransaction, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { BulkWriter, DEFAULT_ROWS_PER_INSERT } from './bulk-insert.ts';
import { prepareNode } from './environment.ts';
import type { NodeEnv, NodeEnvOptions } from './environment.ts';
import { historyEnd, planPatient } from './plan-patient.ts';
import type { Draw, PatientPlan } from './plan-types.ts';
import { planRecord } from './plan-record.ts';
import type { PersonSketch } from './plan-record.ts';
import { planHistory } from './plan-visits.ts';
import { profileOf } from './profile.ts';
import { Rng } from './rng.ts';
import { addDays, clinicTime } from './sql-time.ts';
import { uuidSequence } from './uuid.ts';
import { writePatients } from './write.ts';

export const DEFAULT_PATIENTS_PER_BATCH = 50;

export interface SeedOptions extends NodeEnvOptions {
  patients: number;
  /** Called after each batch commits. */
  onProgress?: (done: number, total: number) => void;
  /** Patients written per transaction. */
  patientsPerBatch?: number;
  /** Rows per INSERT statement. */
  rowsPerInsert?: number;
}

export interface SeedReport {
  nodeId: string;
  /** Patients written by this run. */
  patients: number;
  /** Patients found already written by an earlier run with the same seed. */
  skippedPatients: number;
  /** Rows inserted into OpenMRS tables (the outbox rows triggers add are not counted). */
  rows: number;
  /** The same rows by table (person, obs, orders, patient_state, ...); tables with none are absent. */
  kinds: Record<string, number>;
  elapsedMs: number;
  rowsPerSecond: number;
}

export class SeedConflictError extends Error {
  override name = 'SeedConflictError';
  constructor(
    readonly firstPatient: number,
    readonly found: number,
    readonly expected: number,
  ) {
    super(`patients ${firstPatient}..${firstPatient + expected - 1} are partly present (${found} of ${expected}); the database was changed outside the seed`);
  }
}

/** The random sources of patient `i`. Its first uuid is the person's. */
export function patientDraw(seed: string, nodeId: string, i: number): Draw {
  return { rng: Rng.from(seed, nodeId, 'patient', i), uuid: uuidSequence(seed, nodeId, 'patient', i) };
}

/** The random sources of patient `i`'s record beyond its visits (plan-record.ts): streams of their own. */
export function recordDraw(seed: string, nodeId: string, i: number): Draw {
  return { rng: Rng.from(seed, nodeId, 'record', i), uuid: uuidSequence(seed, nodeId, 'record', i) };
}

/** Earlier patients a patient may be family of, nearest first. */
export const FAMILY_WINDOW = 15;

/** Patient `i` as registered (no visits): what another patient's planner may know of it. */
function planRegistration(env: NodeEnv, i: number): { draw: Draw; plan: PatientPlan; registeredAt: Date } {
  const draw = patientDraw(env.seed, env.nodeId, i);
  const start = addDays(env.endAt, -env.historyDays);
  const registeredAt = clinicTime(draw.rng, addDays(start, draw.rng.int(0, env.historyDays - 2)));
  return { draw, plan: planPatient(env, draw, registeredAt), registeredAt };
}

/** Recent sketches per environment: patients are planned in order, and each child looks back at the same few. */
const sketches = new WeakMap<NodeEnv, Map<number, PersonSketch>>();
const SKETCHES_KEPT = 4 * FAMILY_WINDOW;

function sketchOf(env: NodeEnv, i: number): PersonSketch {
  let cache = sketches.get(env);
  if (!cache) sketches.set(env, (cache = new Map()));
  let sketch = cache.get(i);
  if (!sketch) {
    const { plan } = planRegistration(env, i);
    sketch = { uuid: plan.uuid, gender: plan.gender, birthdate: plan.birthdate, registeredAt: plan.audit.createdAt, voided: Boolean(plan.audit.voided) };
    cache.set(i, sketch);
    // Maps iterate in insertion order: the first key is the oldest.
    if (cache.size > SKETCHES_KEPT) cache.delete(cache.keys().next().value as number);
  }
  return sketch;
}

/** Plans patient `i` with its history and record. Pure given the environment. */
export function planSeededPatient(env: NodeEnv, i: number): PatientPlan {
  const { draw, plan, registeredAt } = planRegistration(env, i);
  const profile = profileOf({ uuid: plan.uuid, gender: plan.gender, birthdate: new Date(`${plan.birthdate}T00:00:00Z`) });
  const until = historyEnd(plan, env);
  plan.visits = planHistory(env, draw, profile, registeredAt, until, { voided: plan.audit.voided });
  let orders = 0;
  planRecord(
    {
      env,
      draw: recordDraw(env.seed, env.nodeId, i),
      profile,
      neighbours: () => Array.from({ length: Math.min(i, FAMILY_WINDOW) }, (_, k) => sketchOf(env, i - 1 - k)),
      // Unique on the node: the patient's number and the order's within it (OpenMRS's own are ORD-<order_id>).
      orderNumber: () => `ORD-${env.idPrefix}-${i + 1}-${++orders}`,
    },
    plan,
    until,
  );
  return plan;
}

/** How many of patients [from, to) are already in the database (all or none, as each batch is one transaction). */
async function alreadyWritten(pool: Pool, env: NodeEnv, from: number, to: number): Promise<number> {
  const uuids: string[] = [];
  for (let i = from; i < to; i++) uuids.push(uuidSequence(env.seed, env.nodeId, 'patient', i)());
  const [{ n }] = await queryRows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM person WHERE uuid IN (?)', [uuids]);
  const found = Number(n);
  if (found !== 0 && found !== uuids.length) throw new SeedConflictError(from, found, uuids.length);
  return found;
}

export async function seedNode(pool: Pool, opts: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const env = await prepareNode(pool, opts);
  const perBatch = Math.max(1, opts.patientsPerBatch ?? DEFAULT_PATIENTS_PER_BATCH);
  const bulkOpts = { idStrategy: env.idStrategy, rowsPerInsert: opts.rowsPerInsert ?? DEFAULT_ROWS_PER_INSERT, shape: env.shape };
  let rows = 0;
  const kinds: Record<string, number> = {};
  let written = 0;
  let skipped = 0;
  for (let from = 0; from < opts.patients; from += perBatch) {
    const to = Math.min(opts.patients, from + perBatch);
    if ((await alreadyWritten(pool, env, from, to)) > 0) {
      skipped += to - from;
    } else {
      const plans: PatientPlan[] = [];
      for (let i = from; i < to; i++) plans.push(planSeededPatient(env, i));
      rows += await inTransaction(pool, async (conn) => {
        const bulk = new BulkWriter(conn, bulkOpts);
        await writePatients(bulk, plans, { idPrefix: env.idPrefix, record: env.meta.record });
        for (const [table, n] of bulk.byTable) kinds[table] = (kinds[table] ?? 0) + n;
        return bulk.rows;
      });
      written += to - from;
    }
    opts.onProgress?.(to, opts.patients);
  }
  const elapsedMs = performance.now() - started;
  return {
    nodeId: env.nodeId,
    patients: written,
    skippedPatients: skipped,
    rows,
    kinds,
    elapsedMs,
    rowsPerSecond: elapsedMs > 0 ? Math.round((rows * 1000) / elapsedMs) : 0,
  };
}
