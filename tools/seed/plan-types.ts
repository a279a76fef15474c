// What the planners produce and the writer stores: rows of one patient's
// history, linked by nesting instead of integer keys, because the keys exist
// only once the rows are inserted. Dates are UTC strings 'YYYY-MM-DD HH:MM:SS'.
import type { MetadataIds } from './ensure-metadata.ts';
import type { PatientRecordPlan, VisitAttributePlan, EncounterRecordPlan } from './plan-record-types.ts';
import type { Rng } from './rng.ts';
import type { Site } from './site.ts';
import type { UuidSource } from './uuid.ts';

/** Audit columns. creator, changed_by and voided_by are always the admin user. */
export interface AuditPlan {
  createdAt: string;
  /** Set on rows edited after creation (not used for obs, which OpenMRS never edits in place). */
  changedAt?: string;
  voided?: { at: string; reason: string };
}

export interface NamePlan {
  uuid: string;
  preferred: boolean;
  prefix: string | null;
  given: string;
  middle: string | null;
  family: string;
  audit: AuditPlan;
}

export interface AddressPlan {
  uuid: string;
  preferred: boolean;
  address1: string;
  address2: string | null;
  cityVillage: string;
  countyDistrict: string;
  stateProvince: string;
  country: string;
  postalCode: string | null;
  latitude: string;
  longitude: string;
  startDate: string;
  endDate: string | null;
  audit: AuditPlan;
}

export interface IdentifierPlan {
  uuid: string;
  identifierTypeId: number;
  /** null: the writer issues an OpenMRS ID from the node prefix and the new person_id. */
  value: string | null;
  preferred: boolean;
  locationId: number;
  audit: AuditPlan;
}

export interface PatientPlan {
  /** The person's uuid, which is also the patient resource's uuid. */
  uuid: string;
  gender: 'M' | 'F';
  birthdate: string;
  birthdateEstimated: boolean;
  dead: boolean;
  deathDate: string | null;
  causeOfDeathConceptId: number | null;
  allergyStatus: string;
  audit: AuditPlan;
  names: NamePlan[];
  addresses: AddressPlan[];
  identifiers: IdentifierPlan[];
  visits: VisitPlan[];
  /** Attributes, relationships, programs, conditions, allergies (plan-record.ts). */
  record?: PatientRecordPlan;
}

export interface VisitPlan {
  uuid: string;
  visitTypeId: number;
  startedAt: string;
  stoppedAt: string | null;
  locationId: number;
  indicationConceptId: number | null;
  audit: AuditPlan;
  encounters: EncounterPlan[];
  attributes?: VisitAttributePlan[];
}

export interface EncounterProviderPlan {
  uuid: string;
  providerId: number;
  encounterRoleId: number;
  audit: AuditPlan;
}

export interface EncounterPlan {
  uuid: string;
  encounterTypeId: number;
  locationId: number;
  at: string;
  audit: AuditPlan;
  providers: EncounterProviderPlan[];
  obs: ObsPlan[];
  /** Orders and diagnoses made in the encounter (plan-orders.ts). */
  record?: EncounterRecordPlan;
}

export interface ObsPlan {
  uuid: string;
  conceptId: number;
  at: string;
  locationId: number;
  valueCoded: number | null;
  valueNumeric: number | null;
  valueText: string | null;
  valueDatetime: string | null;
  interpretation: string | null;
  comments: string | null;
  audit: AuditPlan;
  /** Obs of a group (a set concept such as Vitals): stored with obs_group_id pointing here. */
  members: ObsPlan[];
  /** When set, this obs was voided and replaced: the replacement gets previous_version pointing here. */
  correction: ObsPlan | null;
  /** The uuid of the test order this obs is a result of (obs.order_id). */
  orderUuid?: string;
}

// ---- what planners need ----------------------------------------------------------------


/** The database facts planners need: metadata ids, the node's site, and the latest time anything may happen. */
export interface PlanEnv {
  meta: MetadataIds;
  site: Site;
  endAt: Date;
}

/** The random sources of one unit of work (a patient, a live action): choices and uuids. */
export interface Draw {
  rng: Rng;
  uuid: UuidSource;
}
