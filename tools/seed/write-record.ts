// Stores the record plans (plan-record-types.ts) with BulkWriter, after the
// rows they hang off: visit attributes after visits, orders after encounters
// (and before obs, which point at test orders), the patient-level record after
// the visits. Metadata ids come from RecordIds; a part whose table or metadata
// the database lacks is skipped (BulkWriter skips absent tables by itself).
import { queryRows } from '../../shared/db.ts';
import type { BulkWriter, SqlValue } from './bulk-insert.ts';
import type { RecordIds } from './ensure-record-metadata.ts';
import type { OrderPlan, PatientRecordPlan, PersonAttributePlan, ProgramPlan } from './plan-record-types.ts';
import type { AuditPlan, EncounterPlan, VisitPlan } from './plan-types.ts';

const ADMIN = 1;
const AUDIT = ['creator', 'date_created', 'changed_by', 'date_changed', 'voided', 'voided_by', 'date_voided', 'void_reason'] as const;
const CREATED_VOIDED = ['creator', 'date_created', 'voided', 'voided_by', 'date_voided', 'void_reason'] as const;

function voidValues(a: AuditPlan): SqlValue[] {
  return a.voided ? [1, ADMIN, a.voided.at, a.voided.reason] : [0, null, null, null];
}
export function audit(a: AuditPlan): SqlValue[] {
  return [ADMIN, a.createdAt, a.changedAt ? ADMIN : null, a.changedAt ?? null, ...voidValues(a)];
}
const bool = (b: boolean) => (b ? 1 : 0);

/** What the record writers share while one batch is written. */
export interface WriteContext {
  record: RecordIds;
  /** Encounter ids by uuid, filled as encounters are written. */
  encounterIds: Map<string, number>;
}

export function newWriteContext(record: RecordIds): WriteContext {
  return { record, encounterIds: new Map() };
}

// ---- visits and encounters ---------------------------------------------------------

export async function writeVisitAttributes(bulk: BulkWriter, ctx: WriteContext, visits: VisitPlan[], visitIds: number[]): Promise<void> {
  const types = ctx.record.visitAttributeType;
  if (!types) return;
  const rows = visits.flatMap((v, i) => (v.attributes ?? []).map((a) => [visitIds[i], types[a.type], a.value, ...audit(a.audit), a.uuid]));
  await bulk.insert('visit_attribute', ['visit_id', 'attribute_type_id', 'value_reference', ...AUDIT, 'uuid'], rows);
}

const ORDER = [
  'order_type_id', 'concept_id', 'orderer', 'encounter_id', 'patient_id', 'care_setting', 'order_number', 'order_action', 'previous_order_id',
  'urgency', 'date_activated', 'auto_expire_date', 'date_stopped', 'instructions', 'order_reason', 'order_reason_non_coded', ...CREATED_VOIDED, 'uuid',
];
const DRUG_ORDER = [
  'order_id', 'drug_inventory_id', 'dosing_type', 'dose', 'dose_units', 'route', 'frequency', 'as_needed', 'duration', 'duration_units',
  'quantity', 'quantity_units', 'num_refills', 'dispense_as_written',
];
const TEST_ORDER = ['order_id', 'specimen_source', 'clinical_history'];
const SIMPLE_DOSING = 'org.openmrs.SimpleDosingInstructions';

/**
 * Writes the orders of encounters already written; returns order ids by uuid (for obs.order_id).
 * New orders first, then the REVISE/DISCONTINUE orders that point at them.
 */
export async function writeOrders(bulk: BulkWriter, ctx: WriteContext, items: Array<{ patientId: number; encounterId: number; encounter: EncounterPlan }>): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const { orderType, careSetting, drug, frequency } = ctx.record;
  if (!orderType || !careSetting || !bulk.has('orders')) return ids;
  const all = items.flatMap(({ patientId, encounterId, encounter }) => (encounter.record?.orders ?? []).map((o) => ({ patientId, encounterId, o })));
  for (const level of [all.filter((x) => !x.o.previousUuid), all.filter((x) => x.o.previousUuid)]) {
    if (level.length === 0) continue;
    const row = ({ patientId, encounterId, o }: { patientId: number; encounterId: number; o: OrderPlan }): SqlValue[] => [
      orderType[o.kind], o.conceptId, o.providerId, encounterId, patientId, careSetting[o.careSetting], o.orderNumber, o.action,
      o.previousUuid ? (ids.get(o.previousUuid) ?? null) : null, o.urgency, o.activatedAt, o.autoExpireAt, o.stoppedAt, o.instructions,
      o.reasonConceptId, o.reasonNonCoded, ADMIN, o.audit.createdAt, ...voidValues(o.audit), o.uuid,
    ];
    const orderIds = await bulk.insertReturningIds('orders', 'order_id', ORDER, level.map(row));
    level.forEach((x, i) => ids.set(x.o.uuid, orderIds[i]));
  }
  if (drug && frequency) {
    const rows = all.filter((x) => x.o.drug).map(({ o }) => {
      const d = o.drug!;
      return [ids.get(o.uuid)!, drug[d.drug], SIMPLE_DOSING, d.dose, d.doseUnitsConceptId, d.routeConceptId, frequency[d.frequency], bool(d.asNeeded),
        d.duration, d.durationUnitsConceptId, d.quantity, d.quantityUnitsConceptId, 0, 0];
    });
    await bulk.insert('drug_order', DRUG_ORDER, rows);
  }
  await bulk.insert('test_order', TEST_ORDER, all.filter((x) => x.o.test).map(({ o }) => [ids.get(o.uuid)!, o.test!.specimenConceptId, o.test!.clinicalHistory]));
  return ids;
}

// ---- patients ------------------------------------------------------------------------

async function personIdsByUuid(bulk: BulkWriter, uuids: string[]): Promise<Map<string, number>> {
  if (uuids.length === 0) return new Map();
  const rows = await queryRows<{ id: number; uuid: string }>(bulk.conn, 'SELECT person_id AS id, uuid FROM person WHERE uuid IN (?)', [uuids]);
  return new Map(rows.map((r) => [r.uuid, Number(r.id)]));
}

async function writePrograms(bulk: BulkWriter, ctx: WriteContext, items: Array<{ patientId: number; p: ProgramPlan }>): Promise<void> {
  const programs = ctx.record.program;
  if (!programs) return;
  const ids = await bulk.insertReturningIds(
    'patient_program', 'patient_program_id',
    ['patient_id', 'program_id', 'date_enrolled', 'date_completed', 'location_id', 'outcome_concept_id', ...AUDIT, 'uuid'],
    items.map(({ patientId, p }) => [patientId, programs[p.program].id, p.enrolledAt, p.completedAt, p.locationId, p.outcomeConceptId, ...audit(p.audit), p.uuid]),
  );
  if (ids.length === 0) return;
  await bulk.insert(
    'patient_state',
    ['patient_program_id', 'state', 'start_date', 'end_date', ...AUDIT, 'uuid'],
    items.flatMap(({ p }, i) => p.states.map((s) => [ids[i], programs[p.program].states[s.state], s.startDate, s.endDate, ...audit(s.audit), s.uuid])),
  );
}

const CONDITION = [
  'patient_id', 'condition_coded', 'clinical_status', 'verification_status', 'onset_date', 'end_date', 'additional_detail', 'encounter_id', 'previous_version', ...AUDIT, 'uuid',
];

/**
 * Writes every patient's record after its visits. The relatives are already written
 * (write.ts writes them with the patients), their person ids in `relativeIds`, in plan order.
 */
export async function writePatientRecords(
  bulk: BulkWriter,
  ctx: WriteContext,
  records: Array<{ patientId: number; record: PatientRecordPlan | undefined; encounters: EncounterPlan[] }>,
  relativeIds: number[],
): Promise<void> {
  const recs = records.filter((r) => r.record) as Array<{ patientId: number; record: PatientRecordPlan; encounters: EncounterPlan[] }>;
  const relatives = recs.flatMap((r) => r.record.relatives);
  const types = ctx.record.personAttributeType;
  const people = await personIdsByUuid(bulk, [
    ...recs.flatMap((r) => r.record.relationships.flatMap((x) => [x.personA, x.personB])),
  ]);
  if (types) {
    const attr = (personId: number, a: PersonAttributePlan): SqlValue[] => [personId, types[a.type], a.value, ...audit(a.audit), a.uuid];
    await bulk.insert('person_attribute', ['person_id', 'person_attribute_type_id', 'value', ...AUDIT, 'uuid'], [
      ...recs.flatMap((r) => r.record.attributes.map((a) => attr(r.patientId, a))),
      ...relatives.flatMap((r, i) => r.attributes.map((a) => attr(relativeIds[i], a))),
    ]);
  }
  const relTypes = ctx.record.relationshipType;
  if (relTypes) {
    // A relative seeded in another node's database, or a patient voided and purged, is not here: that link is left out.
    const rels = recs.flatMap((r) => r.record.relationships).filter((x) => people.has(x.personA) && people.has(x.personB));
    await bulk.insert('relationship', ['person_a', 'relationship', 'person_b', 'start_date', 'end_date', ...AUDIT, 'uuid'],
      rels.map((x) => [people.get(x.personA)!, relTypes[x.type], people.get(x.personB)!, x.startDate, x.endDate, ...audit(x.audit), x.uuid]));
  }
  await writePrograms(bulk, ctx, recs.flatMap((r) => r.record.programs.map((p) => ({ patientId: r.patientId, p }))));

  // Conditions: edits after what they edit; then the encounter diagnoses that point at them.
  const conditionIds = new Map<string, number>();
  const conditions = recs.flatMap((r) => r.record.conditions.map((c) => ({ patientId: r.patientId, c })));
  for (const level of [conditions.filter((x) => !x.c.previousUuid), conditions.filter((x) => x.c.previousUuid)]) {
    if (level.length === 0) continue;
    const ids = await bulk.insertReturningIds('conditions', 'condition_id', CONDITION, level.map(({ patientId, c }) => [
      patientId, c.conceptId, c.clinicalStatus, c.verificationStatus, c.onsetDate, c.endDate, c.additionalDetail,
      c.encounterUuid ? (ctx.encounterIds.get(c.encounterUuid) ?? null) : null, c.previousUuid ? (conditionIds.get(c.previousUuid) ?? null) : null, ...audit(c.audit), c.uuid,
    ]));
    level.forEach((x, i) => conditionIds.set(x.c.uuid, ids[i]));
  }
  await writeEncounterDiagnoses(bulk, ctx, recs.flatMap((r) => r.encounters.map((encounter) => ({ patientId: r.patientId, encounter }))), conditionIds);

  const allergies = recs.flatMap((r) => r.record.allergies.map((a) => ({ patientId: r.patientId, a })));
  const allergyIds = await bulk.insertReturningIds(
    'allergy', 'allergy_id',
    ['patient_id', 'allergen_type', 'coded_allergen', 'severity_concept_id', 'comments', ...AUDIT, 'uuid'],
    allergies.map(({ patientId, a }) => [patientId, a.allergenType, a.allergenConceptId, a.severityConceptId, a.comments, ...audit(a.audit), a.uuid]),
  );
  if (allergyIds.length > 0) {
    await bulk.insert('allergy_reaction', ['allergy_id', 'reaction_concept_id', 'uuid'],
      allergies.flatMap(({ a }, i) => a.reactions.map((r) => [allergyIds[i], r.conceptId, r.uuid])));
  }
}

/** encounter_diagnosis rows of written encounters (OpenMRS 2.2+; skipped where the table is absent). */
export async function writeEncounterDiagnoses(
  bulk: BulkWriter,
  ctx: WriteContext,
  items: Array<{ patientId: number; encounter: EncounterPlan }>,
  conditionIds: Map<string, number>,
): Promise<void> {
  const rows = items.flatMap(({ patientId, encounter: e }) =>
    (e.record?.diagnoses ?? []).map((d) => [
      ctx.encounterIds.get(e.uuid) as number, patientId, d.conceptId, d.certainty, d.rank, d.conditionUuid ? (conditionIds.get(d.conditionUuid) ?? null) : null, ...audit(d.audit), d.uuid,
    ]),
  );
  await bulk.insert('encounter_diagnosis', ['encounter_id', 'patient_id', 'diagnosis_coded', 'certainty', '`rank`', 'condition_id', ...AUDIT, 'uuid'], rows);
}

