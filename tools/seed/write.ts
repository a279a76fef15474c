// Stores plans with a few multi-row INSERTs per table, level by level: persons,
// then what hangs off them, then visits, encounters, top-level obs, group
// members, corrections. Each level needs the keys of the one before, which
// BulkWriter hands back. Call inside a transaction: a half-written patient
// would publish events for rows that then vanish on rollback.
import type { BulkWriter, SqlValue } from './bulk-insert.ts';
import type { RecordIds } from './ensure-record-metadata.ts';
import { openmrsId } from './identifier.ts';
import type { AddressPlan, AuditPlan, EncounterPlan, NamePlan, ObsPlan, PatientPlan, VisitPlan } from './plan-types.ts';

type PersonRow = Pick<PatientPlan, 'gender' | 'birthdate' | 'birthdateEstimated' | 'dead' | 'deathDate' | 'causeOfDeathConceptId' | 'audit' | 'uuid'>;
import { newWriteContext, writeOrders, writePatientRecords, writeVisitAttributes } from './write-record.ts';
import type { WriteContext } from './write-record.ts';

export type { WriteContext } from './write-record.ts';
export { newWriteContext } from './write-record.ts';

const ADMIN = 1;

const AUDIT = ['creator', 'date_created', 'changed_by', 'date_changed', 'voided', 'voided_by', 'date_voided', 'void_reason'] as const;
const OBS_AUDIT = ['creator', 'date_created', 'voided', 'voided_by', 'date_voided', 'void_reason'] as const;

function audit(a: AuditPlan): SqlValue[] {
  return [ADMIN, a.createdAt, a.changedAt ? ADMIN : null, a.changedAt ?? null, ...voidValues(a)];
}
function voidValues(a: AuditPlan): SqlValue[] {
  return a.voided ? [1, ADMIN, a.voided.at, a.voided.reason] : [0, null, null, null];
}
const bool = (b: boolean) => (b ? 1 : 0);

const PERSON = ['gender', 'birthdate', 'birthdate_estimated', 'dead', 'death_date', 'cause_of_death', ...AUDIT, 'uuid'];
const NAME = ['person_id', 'preferred', 'prefix', 'given_name', 'middle_name', 'family_name', ...AUDIT, 'uuid'];
const ADDRESS = [
  'person_id', 'preferred', 'address1', 'address2', 'city_village', 'county_district', 'state_province', 'country',
  'postal_code', 'latitude', 'longitude', 'start_date', 'end_date', ...AUDIT, 'uuid',
];
const PATIENT = ['patient_id', 'allergy_status', ...AUDIT];
const IDENTIFIER = ['patient_id', 'identifier', 'identifier_type', 'preferred', 'location_id', ...AUDIT, 'uuid'];
const VISIT = ['patient_id', 'visit_type_id', 'date_started', 'date_stopped', 'indication_concept_id', 'location_id', ...AUDIT, 'uuid'];
const ENCOUNTER = ['encounter_type', 'patient_id', 'location_id', 'encounter_datetime', 'visit_id', ...AUDIT, 'uuid'];
const ENCOUNTER_PROVIDER = ['encounter_id', 'provider_id', 'encounter_role_id', ...AUDIT, 'uuid'];
const OBS = [
  'person_id', 'concept_id', 'encounter_id', 'order_id', 'obs_datetime', 'location_id', 'obs_group_id', 'previous_version',
  'value_coded', 'value_numeric', 'value_text', 'value_datetime', 'interpretation', 'comments', 'status', ...OBS_AUDIT, 'uuid',
];

export interface WriteOptions {
  /** Node prefix of issued OpenMRS IDs (identifier.ts nodePrefix). */
  idPrefix: string;
  /** Ids of the record metadata; without them only persons, visits, encounters and obs are written. */
  record?: RecordIds;
}

/** Writes patients with their whole history; returns their person ids (= patient ids), in plan order. */
export async function writePatients(bulk: BulkWriter, plans: PatientPlan[], opts: WriteOptions): Promise<number[]> {
  // Each patient's relatives who are not patients (record.relatives) come right after it, in
  // person, person_name and person_address alike, so every key follows plan order whatever
  // the batch size (OpenMRS IDs are made from person ids).
  const relativesOf = (p: PatientPlan) => (opts.record ? (p.record?.relatives ?? []) : []);
  const people: Array<{ p: PersonRow; names: NamePlan[]; addresses: AddressPlan[] }> = plans.flatMap((p) => [
    { p: { ...p }, names: p.names, addresses: p.addresses },
    ...relativesOf(p).map((r) => ({ p: { ...r, dead: false, deathDate: null, causeOfDeathConceptId: null }, names: r.names, addresses: r.addresses })),
  ]);
  const ids = await bulk.insertReturningIds(
    'person',
    'person_id',
    PERSON,
    people.map(({ p }) => [p.gender, p.birthdate, bool(p.birthdateEstimated), bool(p.dead), p.deathDate, p.causeOfDeathConceptId, ...audit(p.audit), p.uuid]),
  );
  const personIds: number[] = [];
  const relativeIds: number[] = [];
  let at = 0;
  for (const p of plans) {
    personIds.push(ids[at++]);
    for (let n = relativesOf(p).length; n > 0; n--) relativeIds.push(ids[at++]);
  }
  const names = people.flatMap((x, i) =>
    x.names.map((n) => [ids[i], bool(n.preferred), n.prefix, n.given, n.middle, n.family, ...audit(n.audit), n.uuid]),
  );
  const addresses = people.flatMap((x, i) =>
    x.addresses.map((a) => [
      ids[i], bool(a.preferred), a.address1, a.address2, a.cityVillage, a.countyDistrict, a.stateProvince, a.country,
      a.postalCode, a.latitude, a.longitude, a.startDate, a.endDate, ...audit(a.audit), a.uuid,
    ]),
  );
  // Names and addresses go in before the patient row, so their triggers (which
  // find no patient yet) publish nothing and the patient appears in one CREATED event.
  await bulk.insert('person_name', NAME, names);
  await bulk.insert('person_address', ADDRESS, addresses);
  await bulk.insert('patient', PATIENT, plans.map((p, i) => [personIds[i], p.allergyStatus, ...audit(p.audit)]));
  await bulk.insert(
    'patient_identifier',
    IDENTIFIER,
    plans.flatMap((p, i) =>
      p.identifiers.map((x) => [
        personIds[i], x.value ?? openmrsId(opts.idPrefix, personIds[i]), x.identifierTypeId, bool(x.preferred), x.locationId, ...audit(x.audit), x.uuid,
      ]),
    ),
  );
  const ctx = opts.record ? newWriteContext(opts.record) : undefined;
  await writeVisits(bulk, plans.flatMap((p, i) => p.visits.map((visit) => ({ patientId: personIds[i], visit }))), ctx);
  if (ctx) {
    await writePatientRecords(bulk, ctx, plans.map((p, i) => ({ patientId: personIds[i], record: p.record, encounters: p.visits.flatMap((v) => v.encounters) })), relativeIds);
  }
  return personIds;
}

/** Writes visits with their encounters (and, given a context, their attributes and orders); returns the visit ids, in order. */
export async function writeVisits(bulk: BulkWriter, items: Array<{ patientId: number; visit: VisitPlan }>, ctx?: WriteContext): Promise<number[]> {
  const visitIds = await bulk.insertReturningIds(
    'visit',
    'visit_id',
    VISIT,
    items.map(({ patientId, visit: v }) => [
      patientId, v.visitTypeId, v.startedAt, v.stoppedAt, v.indicationConceptId, v.locationId, ...audit(v.audit), v.uuid,
    ]),
  );
  if (ctx) await writeVisitAttributes(bulk, ctx, items.map((x) => x.visit), visitIds);
  await writeEncounters(
    bulk,
    items.flatMap(({ patientId, visit }, i) => visit.encounters.map((encounter) => ({ patientId, visitId: visitIds[i], encounter }))),
    ctx,
  );
  return visitIds;
}

/** Writes encounters with their providers, orders (given a context) and obs; returns the encounter ids, in order. */
export async function writeEncounters(
  bulk: BulkWriter,
  items: Array<{ patientId: number; visitId: number | null; encounter: EncounterPlan }>,
  ctx?: WriteContext,
): Promise<number[]> {
  const ids = await bulk.insertReturningIds(
    'encounter',
    'encounter_id',
    ENCOUNTER,
    items.map(({ patientId, visitId, encounter: e }) => [e.encounterTypeId, patientId, e.locationId, e.at, visitId, ...audit(e.audit), e.uuid]),
  );
  await bulk.insert(
    'encounter_provider',
    ENCOUNTER_PROVIDER,
    items.flatMap(({ encounter }, i) => encounter.providers.map((p) => [ids[i], p.providerId, p.encounterRoleId, ...audit(p.audit), p.uuid])),
  );
  items.forEach((x, i) => ctx?.encounterIds.set(x.encounter.uuid, ids[i]));
  // Orders before obs: a lab result points at the test order it answers.
  const orderIds = ctx ? await writeOrders(bulk, ctx, items.map((x, i) => ({ patientId: x.patientId, encounterId: ids[i], encounter: x.encounter }))) : new Map<string, number>();
  await writeObs(
    bulk,
    items.flatMap(({ patientId, encounter }, i) => encounter.obs.map((obs) => ({ personId: patientId, encounterId: ids[i], obs }))),
    orderIds,
  );
  return ids;
}

interface PendingObs {
  personId: number;
  encounterId: number | null;
  obs: ObsPlan;
  groupId: number | null;
  previousVersion: number | null;
}

function obsRow(x: PendingObs, orderIds: Map<string, number>): SqlValue[] {
  const o = x.obs;
  return [
    x.personId, o.conceptId, x.encounterId, o.orderUuid ? (orderIds.get(o.orderUuid) ?? null) : null, o.at, o.locationId, x.groupId, x.previousVersion,
    o.valueCoded, o.valueNumeric, o.valueText, o.valueDatetime, o.interpretation, o.comments, 'FINAL',
    ADMIN, o.audit.createdAt, ...voidValues(o.audit), o.uuid,
  ];
}

/** Writes obs level by level: a group's members need its obs_id, a correction needs the id of what it replaces. */
export async function writeObs(
  bulk: BulkWriter,
  items: Array<{ personId: number; encounterId: number | null; obs: ObsPlan }>,
  orderIds: Map<string, number> = new Map(),
): Promise<number> {
  let level: PendingObs[] = items.map((x) => ({ ...x, groupId: null, previousVersion: null }));
  const corrections: PendingObs[] = [];
  let written = 0;
  while (level.length > 0) {
    const ids = await bulk.insertReturningIds('obs', 'obs_id', OBS, level.map((x) => obsRow(x, orderIds)));
    written += level.length;
    const next: PendingObs[] = [];
    level.forEach((x, i) => {
      for (const m of x.obs.members) next.push({ personId: x.personId, encounterId: x.encounterId, obs: m, groupId: ids[i], previousVersion: null });
      if (x.obs.correction) corrections.push({ ...x, obs: x.obs.correction, previousVersion: ids[i] });
    });
    level = next;
  }
  if (corrections.length > 0) {
    await bulk.insert('obs', OBS, corrections.map((x) => obsRow(x, orderIds)));
    written += corrections.length;
  }
  return written;
}
