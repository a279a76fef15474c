// Plans what a clinician orders and diagnoses in a visit, from what its obs
// already say: encounter diagnoses mirror the Visit Note's diagnosis groups;
// each diagnosis usually gets its treatment as a drug order; lab results are
// results of test orders (obs.order_id), placed in the visit's Visit Note or
// in the lab encounter itself; some tests are ordered and never resulted. A
// few drug orders are later revised (a REVISE order) or stopped (a DISCONTINUE
// order), the old order's date_stopped set a moment before, as OpenMRS does.
import type { ConceptKey } from './concepts.ts';
import { CONCEPTS } from './concepts.ts';
import type { DiagnosisPlan, DrugDetails, EncounterRecordPlan, OrderPlan } from './plan-record-types.ts';
import type { AuditPlan, Draw, EncounterPlan, ObsPlan, PlanEnv, VisitPlan } from './plan-types.ts';
import { DRUGS, ORDER_FREQUENCIES } from './record-metadata.ts';
import type { DrugKey } from './record-metadata.ts';
import { addDays, addMinutes, parseSqlDatetime, sqlDatetime } from './sql-time.ts';

export const ORDER_RATES = {
  /** A diagnosis is treated with a drug order this often. */
  treated: 0.85,
  /** A lab result comes from a test order this often (the rest were walk-in tests). */
  resultOrdered: 0.75,
  /** A Visit Note orders a test that is never resulted this often. */
  pendingTest: 0.2,
  revised: 0.06,
  discontinued: 0.06,
  stat: 0.1,
} as const;

/** Treatment of each diagnosis: adult drug, child drug. */
const TREATMENT: Partial<Record<ConceptKey, readonly [DrugKey, DrugKey]>> = {
  malaria: ['al', 'al'],
  pneumonia: ['amoxicillin', 'amoxicillinSyrup'],
  urti: ['paracetamol', 'amoxicillinSyrup'],
  hivDisease: ['tld', 'tld'],
  hypertension: ['amlodipine', 'amlodipine'],
  diabetes: ['metformin', 'metformin'],
  gastroenteritis: ['ors', 'zinc'],
  anaemia: ['ferrous', 'ferrous'],
  uti: ['nitrofurantoin', 'amoxicillinSyrup'],
  asthma: ['salbutamol', 'salbutamol'],
  tuberculosis: ['rhze', 'rhze'],
};

/** Tests a result obs may answer, and the specimen each needs. */
const TESTS: Partial<Record<ConceptKey, ConceptKey>> = {
  haematology: 'blood', chemistry: 'blood', hivMonitoring: 'blood', hivTest: 'blood', malariaTest: 'blood',
  haemoglobin: 'blood', glucose: 'blood', genexpert: 'sputum',
};
const PENDING_TESTS: readonly ConceptKey[] = ['malariaTest', 'haematology', 'hivTest', 'glucose', 'chemistry'];
const STOP_REASONS = ['Side effects', 'Condition resolved', 'Patient preference', 'Changed to another regimen'];

export interface OrderContext {
  env: PlanEnv;
  draw: Draw;
  ageYears: number;
  /** Issues the next order number (unique on the node). */
  orderNumber: () => string;
}

const conceptKeys = new WeakMap<object, Map<number, ConceptKey>>();
/** Concept key of a concept id in this database. */
function keyOf(env: PlanEnv, id: number | null): ConceptKey | undefined {
  let m = conceptKeys.get(env.meta.concept);
  if (!m) {
    m = new Map((Object.keys(CONCEPTS) as ConceptKey[]).map((k) => [env.meta.concept[k], k]));
    conceptKeys.set(env.meta.concept, m);
  }
  return id === null ? undefined : m.get(id);
}

function ordererOf(env: PlanEnv, e: EncounterPlan): number {
  const clinician = env.site.providers.find((p) => p.role === 'clinician');
  const inEncounter = e.providers.map((p) => p.providerId);
  return inEncounter.find((id) => env.site.providers.find((p) => p.id === id)?.role === 'clinician') ?? clinician?.id ?? inEncounter[0] ?? env.site.providers[0]?.id;
}

function baseOrder(ctx: OrderContext, e: EncounterPlan, kind: 'drug' | 'test', conceptId: number, when: Date): OrderPlan {
  const at = when > ctx.env.endAt ? ctx.env.endAt : when;
  return {
    uuid: ctx.draw.uuid(),
    kind,
    orderNumber: ctx.orderNumber(),
    action: 'NEW',
    previousUuid: null,
    conceptId,
    providerId: ordererOf(ctx.env, e),
    careSetting: 'outpatient',
    urgency: ctx.draw.rng.chance(ORDER_RATES.stat) ? 'STAT' : 'ROUTINE',
    activatedAt: sqlDatetime(at),
    autoExpireAt: null,
    stoppedAt: null,
    instructions: null,
    reasonConceptId: null,
    reasonNonCoded: null,
    audit: { createdAt: sqlDatetime(at), voided: e.audit.voided },
    drug: null,
    test: null,
  };
}

function drugDetails(env: PlanEnv, key: DrugKey): DrugDetails {
  const d = DRUGS[key];
  const c = env.meta.concept;
  const perDay = ORDER_FREQUENCIES[d.frequency].perDay;
  const days = d.duration * { days: 1, weeks: 7, months: 30 }[d.durationUnits];
  return {
    drug: key,
    dose: d.dose,
    doseUnitsConceptId: c[d.doseUnits],
    routeConceptId: c[d.route],
    frequency: d.frequency,
    asNeeded: perDay === null,
    duration: d.duration,
    durationUnitsConceptId: c[d.durationUnits],
    // As needed: one inhaler; otherwise enough for the whole course.
    quantity: perDay === null ? 1 : d.dose * perDay * days,
    quantityUnitsConceptId: c[perDay === null ? d.dosageForm : d.doseUnits],
  };
}

function expiry(key: DrugKey, from: Date): Date {
  const d = DRUGS[key];
  return addDays(from, d.duration * { days: 1, weeks: 7, months: 30 }[d.durationUnits]);
}

/** A later REVISE or DISCONTINUE of `order`, before it expires and before the end of history. */
function followUp(ctx: OrderContext, e: EncounterPlan, order: OrderPlan, action: 'REVISE' | 'DISCONTINUE'): OrderPlan | null {
  const { rng } = ctx.draw;
  const from = parseSqlDatetime(order.activatedAt);
  const until = Math.min(parseSqlDatetime(order.autoExpireAt as string).getTime(), ctx.env.endAt.getTime());
  const span = Math.floor((until - from.getTime()) / 60_000);
  if (span < 120) return null;
  const at = addMinutes(from, rng.int(60, span - 1));
  const next = baseOrder(ctx, e, 'drug', order.conceptId, at);
  next.action = action;
  next.previousUuid = order.uuid;
  next.urgency = 'ROUTINE';
  order.stoppedAt = sqlDatetime(new Date(at.getTime() - 1000));
  const key = order.drug!.drug;
  if (action === 'DISCONTINUE') {
    next.reasonNonCoded = rng.pick(STOP_REASONS);
    next.drug = { ...drugDetails(ctx.env, key), dose: 0, quantity: 0 };
    return next;
  }
  const details = drugDetails(ctx.env, key);
  next.drug = { ...details, dose: details.dose * 2, quantity: details.quantity * 2 };
  next.autoExpireAt = sqlDatetime(expiry(key, at));
  next.instructions = 'Dose increased';
  return next;
}

function drugOrders(ctx: OrderContext, e: EncounterPlan, diagnoses: ConceptKey[]): OrderPlan[] {
  const { rng } = ctx.draw;
  const out: OrderPlan[] = [];
  const at = parseSqlDatetime(e.at);
  for (const dx of diagnoses) {
    const treatment = TREATMENT[dx];
    if (!treatment || !rng.chance(ORDER_RATES.treated)) continue;
    const key = treatment[ctx.ageYears < 5 ? 1 : 0];
    const order = baseOrder(ctx, e, 'drug', ctx.env.meta.concept[DRUGS[key].concept], addMinutes(at, rng.int(5, 40)));
    order.drug = drugDetails(ctx.env, key);
    order.autoExpireAt = sqlDatetime(expiry(key, parseSqlDatetime(order.activatedAt)));
    order.reasonConceptId = ctx.env.meta.concept[dx];
    order.instructions = rng.chance(0.3) ? 'Take after meals' : null;
    out.push(order);
    const action = rng.chance(ORDER_RATES.revised) ? 'REVISE' : rng.chance(ORDER_RATES.discontinued) ? 'DISCONTINUE' : null;
    const next = action ? followUp(ctx, e, order, action) : null;
    if (next) out.push(next);
  }
  return out;
}

function testOrder(ctx: OrderContext, e: EncounterPlan, test: ConceptKey, at: Date): OrderPlan {
  const order = baseOrder(ctx, e, 'test', ctx.env.meta.concept[test], at);
  const specimen = TESTS[test];
  order.test = { specimenConceptId: specimen ? ctx.env.meta.concept[specimen] : null, clinicalHistory: ctx.draw.rng.chance(0.2) ? 'Febrile, query malaria' : null };
  return order;
}

function link(obs: ObsPlan, orderUuid: string): void {
  obs.orderUuid = orderUuid;
  for (const m of obs.members) link(m, orderUuid);
  if (obs.correction) link(obs.correction, orderUuid);
}

/** Diagnoses recorded as obs groups in a Visit Note, in order: [concept key, certainty obs, order obs]. */
function diagnosesOf(env: PlanEnv, e: EncounterPlan): Array<{ dx: ConceptKey; confirmed: boolean; primary: boolean }> {
  return e.obs
    .filter((o) => keyOf(env, o.conceptId) === 'visitDiagnoses' && !o.audit.voided)
    .map((g) => {
      const value = (k: ConceptKey) => keyOf(env, g.members.find((m) => keyOf(env, m.conceptId) === k)?.valueCoded ?? null);
      return { dx: value('codedDiagnosis') as ConceptKey, confirmed: value('diagnosisCertainty') === 'confirmed', primary: value('diagnosisOrder') === 'primary' };
    })
    .filter((d) => d.dx !== undefined);
}

/** Adds orders, diagnoses and their links to the encounters of one visit. */
export function planVisitOrders(ctx: OrderContext, visit: VisitPlan): void {
  const { rng, uuid } = ctx.draw;
  const note = visit.encounters.find((e) => e.encounterTypeId === ctx.env.meta.encounterType.visitNote);
  for (const e of visit.encounters) e.record = { orders: [], diagnoses: [] };
  if (note) {
    const rec = note.record as EncounterRecordPlan;
    const found = diagnosesOf(ctx.env, note);
    rec.diagnoses = found.map((d): DiagnosisPlan => ({
      uuid: uuid(),
      conceptId: ctx.env.meta.concept[d.dx],
      certainty: d.confirmed ? 'CONFIRMED' : 'PROVISIONAL',
      rank: d.primary ? 1 : 2,
      conditionUuid: null,
      audit: { createdAt: note.audit.createdAt, voided: note.audit.voided } as AuditPlan,
    }));
    rec.orders.push(...drugOrders(ctx, note, found.map((d) => d.dx)));
  }
  for (const lab of visit.encounters.filter((e) => e.encounterTypeId === ctx.env.meta.encounterType.labResults)) {
    const orderedIn = note && note.at <= lab.at ? note : lab;
    const at = orderedIn === lab ? parseSqlDatetime(lab.at) : addMinutes(parseSqlDatetime(note!.at), rng.int(10, 40));
    for (const o of lab.obs) {
      const test = keyOf(ctx.env, o.conceptId);
      if (!test || !(test in TESTS) || !rng.chance(ORDER_RATES.resultOrdered)) continue;
      const order = testOrder(ctx, orderedIn, test, at <= parseSqlDatetime(lab.at) ? at : parseSqlDatetime(lab.at));
      (orderedIn.record as EncounterRecordPlan).orders.push(order);
      link(o, order.uuid);
    }
  }
  if (note && !visit.encounters.some((e) => e.encounterTypeId === ctx.env.meta.encounterType.labResults) && rng.chance(ORDER_RATES.pendingTest)) {
    (note.record as EncounterRecordPlan).orders.push(testOrder(ctx, note, rng.pick(PENDING_TESTS), addMinutes(parseSqlDatetime(note.at), rng.int(10, 40))));
  }
}

