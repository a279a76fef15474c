// The seed generator's public surface: seed a node, ensure the shared
// metadata, and drive live clinic activity. Everything else is internal.
export { seedNode, planSeededPatient, patientDraw, recordDraw, SeedConflictError, DEFAULT_PATIENTS_PER_BATCH } from './seed-node.ts';
export type { SeedOptions, SeedReport } from './seed-node.ts';
export { ensureMetadata, loadMetadataIds, MissingMetadataError, METADATA_DATE_CREATED } from './ensure-metadata.ts';
export type { MetadataIds } from './ensure-metadata.ts';
export { prepareNode, readNodeId, NotMigratedError, DEFAULT_SEED_END_AT, DEFAULT_HISTORY_DAYS } from './environment.ts';
export type { NodeEnv, NodeEnvOptions } from './environment.ts';
export {
  openLiveContext,
  createPatient,
  createVisitWithEncounter,
  editPatientName,
  voidEncounter,
  pickPatientId,
  pickEncounterId,
  advanceProgramState,
  PatientNotFoundError,
} from './live.ts';
export type { LiveContext, LiveOptions, StateChange } from './live.ts';
export { CARE_SETTINGS, DRUGS, LOCATION_ATTRIBUTE_TYPES, LOCATION_TAGS, ORDER_FREQUENCIES, ORDER_TYPES, PERSON_ATTRIBUTE_TYPES, PROGRAMS, RELATIONSHIP_TYPES, VISIT_ATTRIBUTE_TYPES } from './record-metadata.ts';
export type { RecordIds } from './ensure-record-metadata.ts';
export { ORDER_RATES } from './plan-orders.ts';
export { RECORD_RATES } from './plan-record.ts';
export { SchemaShape } from './schema-shape.ts';
export { DATATYPES, CONCEPT_CLASSES, IDENTIFIER_TYPES, VISIT_TYPES, ENCOUNTER_TYPES, ENCOUNTER_ROLES } from './metadata.ts';
export { CONCEPTS } from './concepts.ts';
export type { ConceptKey } from './concepts.ts';
export { OBS_PER_ENCOUNTER } from './plan-obs.ts';
export { DEFAULT_ROWS_PER_INSERT, detectIdStrategy } from './bulk-insert.ts';
export type { IdStrategy } from './bulk-insert.ts';
export { Rng } from './rng.ts';
export { nameUuid, metadataUuid, uuidSequence, SEED_UUID_NAMESPACE } from './uuid.ts';
export { isValidOpenmrsId, nodePrefix, openmrsId } from './identifier.ts';
