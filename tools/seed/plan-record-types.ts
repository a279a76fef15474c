// Plans of the clinical record beyond visits and obs. Like plan-types.ts, rows
// point at each other by uuid and at metadata by key (record-metadata.ts) or
// concept id; the writer turns them into keys, and skips what a database
// without the table cannot hold.
import type { AddressPlan, AuditPlan, NamePlan } from './plan-types.ts';
import type {
  CareSettingKey, DrugKey, FrequencyKey, PersonAttributeTypeKey, ProgramKey, RelationshipTypeKey,
} from './record-metadata.ts';

export interface DrugDetails {
  drug: DrugKey;
  dose: number;
  doseUnitsConceptId: number;
  routeConceptId: number;
  frequency: FrequencyKey;
  asNeeded: boolean;
  duration: number;
  durationUnitsConceptId: number;
  quantity: number;
  quantityUnitsConceptId: number;
}

export interface OrderPlan {
  uuid: string;
  kind: 'drug' | 'test';
  orderNumber: string;
  action: 'NEW' | 'REVISE' | 'DISCONTINUE';
  /** The order this one revises or discontinues. */
  previousUuid: string | null;
  conceptId: number;
  providerId: number;
  careSetting: CareSettingKey;
  urgency: 'ROUTINE' | 'STAT';
  activatedAt: string;
  autoExpireAt: string | null;
  /** Set when a later order revised or discontinued this one: a moment before that order's activation. */
  stoppedAt: string | null;
  instructions: string | null;
  reasonConceptId: number | null;
  reasonNonCoded: string | null;
  /** Orders are never edited, only voided (with their encounter). */
  audit: AuditPlan;
  drug: DrugDetails | null;
  test: { specimenConceptId: number | null; clinicalHistory: string | null } | null;
}

export interface DiagnosisPlan {
  uuid: string;
  conceptId: number;
  certainty: 'CONFIRMED' | 'PROVISIONAL';
  rank: 1 | 2;
  /** The patient's condition this diagnosis is of, when there is one. */
  conditionUuid: string | null;
  audit: AuditPlan;
}

export interface EncounterRecordPlan {
  orders: OrderPlan[];
  diagnoses: DiagnosisPlan[];
}

export interface VisitAttributePlan {
  uuid: string;
  type: 'paymentMethod' | 'insuranceNumber';
  value: string;
  audit: AuditPlan;
}

export interface PersonAttributePlan {
  uuid: string;
  type: PersonAttributeTypeKey;
  value: string;
  audit: AuditPlan;
}

/** A person who is not a patient: a caregiver, a relative. */
export interface RelativePlan {
  uuid: string;
  gender: 'M' | 'F';
  birthdate: string;
  birthdateEstimated: boolean;
  audit: AuditPlan;
  names: NamePlan[];
  addresses: AddressPlan[];
  attributes: PersonAttributePlan[];
}

export interface RelationshipPlan {
  uuid: string;
  type: RelationshipTypeKey;
  /** Person uuids: A is to B as the type's a_is_to_b says (the parent, the caregiver). */
  personA: string;
  personB: string;
  startDate: string | null;
  endDate: string | null;
  audit: AuditPlan;
}

export interface PatientStatePlan {
  uuid: string;
  /** Key in the program's states (record-metadata.ts). */
  state: string;
  startDate: string;
  endDate: string | null;
  audit: AuditPlan;
}

export interface ProgramPlan {
  uuid: string;
  program: ProgramKey;
  locationId: number;
  enrolledAt: string;
  completedAt: string | null;
  outcomeConceptId: number | null;
  audit: AuditPlan;
  states: PatientStatePlan[];
}

export interface ConditionPlan {
  uuid: string;
  conceptId: number;
  clinicalStatus: 'ACTIVE' | 'INACTIVE' | 'HISTORY_OF';
  verificationStatus: 'CONFIRMED' | 'PROVISIONAL';
  onsetDate: string | null;
  endDate: string | null;
  additionalDetail: string | null;
  /** The encounter it was recorded in, if any. */
  encounterUuid: string | null;
  /** An edit of a condition: OpenMRS voids the old row and adds this one pointing at it. */
  previousUuid: string | null;
  audit: AuditPlan;
}

export interface AllergyPlan {
  uuid: string;
  allergenType: 'DRUG' | 'FOOD' | 'ENVIRONMENT';
  allergenConceptId: number;
  severityConceptId: number;
  comments: string | null;
  audit: AuditPlan;
  reactions: Array<{ uuid: string; conceptId: number }>;
}

export interface PatientRecordPlan {
  attributes: PersonAttributePlan[];
  relatives: RelativePlan[];
  relationships: RelationshipPlan[];
  programs: ProgramPlan[];
  conditions: ConditionPlan[];
  allergies: AllergyPlan[];
}
