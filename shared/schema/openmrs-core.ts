// The OpenMRS core tables clinical sync needs, with OpenMRS's own table and
// column names, so a publisher can be pointed at a real OpenMRS database and
// `migrate` only adds atomsync's parts there. Every statement is idempotent.
// The tables of the whole clinical record (orders, programs, attributes,
// relationships, diagnoses, conditions, allergies, the concept dictionary's
// details, tags) are in openmrs-metadata-tables.ts and openmrs-record-tables.ts.
import { CHARSET, auditKeys, changed, created, retired, uuid, voided } from './openmrs-columns.ts';
import { METADATA_TABLES } from './openmrs-metadata-tables.ts';
import { RECORD_TABLES } from './openmrs-record-tables.ts';

/** CREATE TABLE statements in dependency order. users/person are created without their circular keys, added after. */
export const OPENMRS_TABLES: Array<{ table: string; ddl: string }> = [
  {
    table: 'users',
    ddl: `CREATE TABLE IF NOT EXISTS users (
  user_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  system_id VARCHAR(50) NOT NULL DEFAULT '',
  username VARCHAR(50) NULL,
  person_id INT NOT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY users_uuid (uuid), KEY users_person (person_id)
) ${CHARSET}`,
  },
  {
    table: 'person',
    ddl: `CREATE TABLE IF NOT EXISTS person (
  person_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  gender VARCHAR(50) NULL DEFAULT '',
  birthdate DATE NULL,
  birthdate_estimated TINYINT(1) NOT NULL DEFAULT 0,
  dead TINYINT(1) NOT NULL DEFAULT 0,
  death_date DATETIME NULL,
  cause_of_death INT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY person_uuid (uuid)
) ${CHARSET}`,
  },
  {
    table: 'location',
    ddl: `CREATE TABLE IF NOT EXISTS location (
  location_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL DEFAULT '',
  description VARCHAR(255) NULL,
  address1 VARCHAR(255) NULL,
  city_village VARCHAR(255) NULL,
  state_province VARCHAR(255) NULL,
  postal_code VARCHAR(50) NULL,
  country VARCHAR(50) NULL,
  latitude VARCHAR(50) NULL,
  longitude VARCHAR(50) NULL,
  county_district VARCHAR(255) NULL,
  parent_location INT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY location_uuid (uuid), KEY location_name (name),
  CONSTRAINT location_parent_fk FOREIGN KEY (parent_location) REFERENCES location (location_id),
  ${auditKeys('location', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'person_name',
    ddl: `CREATE TABLE IF NOT EXISTS person_name (
  person_name_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  preferred TINYINT(1) NOT NULL DEFAULT 0,
  person_id INT NOT NULL,
  prefix VARCHAR(50) NULL,
  given_name VARCHAR(50) NULL,
  middle_name VARCHAR(50) NULL,
  family_name_prefix VARCHAR(50) NULL,
  family_name VARCHAR(50) NULL,
  family_name2 VARCHAR(50) NULL,
  family_name_suffix VARCHAR(50) NULL,
  degree VARCHAR(50) NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY person_name_uuid (uuid), KEY person_name_given (given_name), KEY person_name_family (family_name),
  CONSTRAINT person_name_person_fk FOREIGN KEY (person_id) REFERENCES person (person_id),
  ${auditKeys('person_name', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'person_address',
    ddl: `CREATE TABLE IF NOT EXISTS person_address (
  person_address_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  person_id INT NULL,
  preferred TINYINT(1) NOT NULL DEFAULT 0,
  address1 VARCHAR(255) NULL,
  address2 VARCHAR(255) NULL,
  city_village VARCHAR(255) NULL,
  state_province VARCHAR(255) NULL,
  postal_code VARCHAR(50) NULL,
  country VARCHAR(50) NULL,
  county_district VARCHAR(255) NULL,
  latitude VARCHAR(50) NULL,
  longitude VARCHAR(50) NULL,
  start_date DATETIME NULL,
  end_date DATETIME NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY person_address_uuid (uuid),
  CONSTRAINT person_address_person_fk FOREIGN KEY (person_id) REFERENCES person (person_id),
  ${auditKeys('person_address', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'patient',
    ddl: `CREATE TABLE IF NOT EXISTS patient (
  patient_id INT NOT NULL PRIMARY KEY,
  allergy_status VARCHAR(50) NOT NULL DEFAULT 'Unknown',
  ${created}, ${changed}, ${voided},
  CONSTRAINT patient_person_fk FOREIGN KEY (patient_id) REFERENCES person (person_id),
  ${auditKeys('patient', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'patient_identifier_type',
    ddl: `CREATE TABLE IF NOT EXISTS patient_identifier_type (
  patient_identifier_type_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(50) NOT NULL DEFAULT '',
  description TEXT NULL,
  format VARCHAR(255) NULL,
  check_digit TINYINT(1) NOT NULL DEFAULT 0,
  required TINYINT(1) NOT NULL DEFAULT 0,
  format_description VARCHAR(255) NULL,
  validator VARCHAR(200) NULL,
  location_behavior VARCHAR(50) NULL,
  uniqueness_behavior VARCHAR(50) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY patient_identifier_type_uuid (uuid),
  ${auditKeys('patient_identifier_type', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'patient_identifier',
    ddl: `CREATE TABLE IF NOT EXISTS patient_identifier (
  patient_identifier_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  identifier VARCHAR(50) NOT NULL DEFAULT '',
  identifier_type INT NOT NULL,
  preferred TINYINT(1) NOT NULL DEFAULT 0,
  location_id INT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY patient_identifier_uuid (uuid), KEY patient_identifier_identifier (identifier),
  CONSTRAINT patient_identifier_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT patient_identifier_type_fk FOREIGN KEY (identifier_type) REFERENCES patient_identifier_type (patient_identifier_type_id),
  CONSTRAINT patient_identifier_location_fk FOREIGN KEY (location_id) REFERENCES location (location_id),
  ${auditKeys('patient_identifier', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'visit_type',
    ddl: `CREATE TABLE IF NOT EXISTS visit_type (
  visit_type_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(1024) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY visit_type_uuid (uuid),
  ${auditKeys('visit_type', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'concept_datatype',
    ddl: `CREATE TABLE IF NOT EXISTS concept_datatype (
  concept_datatype_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL DEFAULT '',
  hl7_abbreviation VARCHAR(3) NULL,
  description VARCHAR(255) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY concept_datatype_uuid (uuid),
  ${auditKeys('concept_datatype', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'concept_class',
    ddl: `CREATE TABLE IF NOT EXISTS concept_class (
  concept_class_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL DEFAULT '',
  description VARCHAR(255) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY concept_class_uuid (uuid),
  ${auditKeys('concept_class', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'concept',
    ddl: `CREATE TABLE IF NOT EXISTS concept (
  concept_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  short_name VARCHAR(255) NULL,
  description TEXT NULL,
  form_text TEXT NULL,
  datatype_id INT NOT NULL DEFAULT 0,
  class_id INT NOT NULL DEFAULT 0,
  is_set TINYINT(1) NOT NULL DEFAULT 0,
  version VARCHAR(50) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY concept_uuid (uuid),
  CONSTRAINT concept_datatype_fk FOREIGN KEY (datatype_id) REFERENCES concept_datatype (concept_datatype_id),
  CONSTRAINT concept_class_fk FOREIGN KEY (class_id) REFERENCES concept_class (concept_class_id),
  ${auditKeys('concept', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'concept_name',
    ddl: `CREATE TABLE IF NOT EXISTS concept_name (
  concept_name_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concept_id INT NULL,
  name VARCHAR(255) NOT NULL DEFAULT '',
  locale VARCHAR(50) NOT NULL DEFAULT '',
  locale_preferred TINYINT(1) NULL DEFAULT 0,
  concept_name_type VARCHAR(50) NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY concept_name_uuid (uuid), KEY concept_name_name (name),
  CONSTRAINT concept_name_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  ${auditKeys('concept_name', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'encounter_type',
    ddl: `CREATE TABLE IF NOT EXISTS encounter_type (
  encounter_type_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(50) NOT NULL DEFAULT '',
  description TEXT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY encounter_type_uuid (uuid),
  ${auditKeys('encounter_type', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'encounter_role',
    ddl: `CREATE TABLE IF NOT EXISTS encounter_role (
  encounter_role_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(1024) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY encounter_role_uuid (uuid),
  ${auditKeys('encounter_role', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'provider',
    ddl: `CREATE TABLE IF NOT EXISTS provider (
  provider_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  person_id INT NULL,
  name VARCHAR(255) NULL,
  identifier VARCHAR(255) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY provider_uuid (uuid),
  CONSTRAINT provider_person_fk FOREIGN KEY (person_id) REFERENCES person (person_id),
  ${auditKeys('provider', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'visit',
    ddl: `CREATE TABLE IF NOT EXISTS visit (
  visit_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  visit_type_id INT NOT NULL,
  date_started DATETIME NOT NULL,
  date_stopped DATETIME NULL,
  indication_concept_id INT NULL,
  location_id INT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY visit_uuid (uuid),
  CONSTRAINT visit_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT visit_type_fk FOREIGN KEY (visit_type_id) REFERENCES visit_type (visit_type_id),
  CONSTRAINT visit_indication_fk FOREIGN KEY (indication_concept_id) REFERENCES concept (concept_id),
  CONSTRAINT visit_location_fk FOREIGN KEY (location_id) REFERENCES location (location_id),
  ${auditKeys('visit', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'encounter',
    ddl: `CREATE TABLE IF NOT EXISTS encounter (
  encounter_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  encounter_type INT NOT NULL,
  patient_id INT NOT NULL DEFAULT 0,
  location_id INT NULL,
  form_id INT NULL,
  encounter_datetime DATETIME NOT NULL,
  visit_id INT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY encounter_uuid (uuid), KEY encounter_datetime_idx (encounter_datetime),
  CONSTRAINT encounter_type_fk FOREIGN KEY (encounter_type) REFERENCES encounter_type (encounter_type_id),
  CONSTRAINT encounter_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT encounter_location_fk FOREIGN KEY (location_id) REFERENCES location (location_id),
  CONSTRAINT encounter_visit_fk FOREIGN KEY (visit_id) REFERENCES visit (visit_id),
  ${auditKeys('encounter', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'encounter_provider',
    ddl: `CREATE TABLE IF NOT EXISTS encounter_provider (
  encounter_provider_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  encounter_id INT NOT NULL,
  provider_id INT NOT NULL,
  encounter_role_id INT NOT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY encounter_provider_uuid (uuid),
  CONSTRAINT encounter_provider_encounter_fk FOREIGN KEY (encounter_id) REFERENCES encounter (encounter_id),
  CONSTRAINT encounter_provider_provider_fk FOREIGN KEY (provider_id) REFERENCES provider (provider_id),
  CONSTRAINT encounter_provider_role_fk FOREIGN KEY (encounter_role_id) REFERENCES encounter_role (encounter_role_id),
  ${auditKeys('encounter_provider', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'obs',
    ddl: `CREATE TABLE IF NOT EXISTS obs (
  obs_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  person_id INT NOT NULL,
  concept_id INT NOT NULL DEFAULT 0,
  encounter_id INT NULL,
  order_id INT NULL,
  obs_datetime DATETIME NOT NULL,
  location_id INT NULL,
  obs_group_id INT NULL,
  accession_number VARCHAR(255) NULL,
  value_group_id INT NULL,
  value_coded INT NULL,
  value_coded_name_id INT NULL,
  value_drug INT NULL,
  value_datetime DATETIME NULL,
  value_numeric DOUBLE NULL,
  value_modifier VARCHAR(2) NULL,
  value_text TEXT NULL,
  value_complex VARCHAR(1000) NULL,
  comments VARCHAR(255) NULL,
  previous_version INT NULL,
  form_namespace_and_path VARCHAR(255) NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'FINAL',
  interpretation VARCHAR(32) NULL,
  creator INT NOT NULL, date_created DATETIME NOT NULL, ${voided}, ${uuid},
  UNIQUE KEY obs_uuid (uuid), KEY obs_datetime_idx (obs_datetime),
  CONSTRAINT obs_person_fk FOREIGN KEY (person_id) REFERENCES person (person_id),
  CONSTRAINT obs_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  CONSTRAINT obs_encounter_fk FOREIGN KEY (encounter_id) REFERENCES encounter (encounter_id),
  CONSTRAINT obs_location_fk FOREIGN KEY (location_id) REFERENCES location (location_id),
  CONSTRAINT obs_group_fk FOREIGN KEY (obs_group_id) REFERENCES obs (obs_id),
  CONSTRAINT obs_value_coded_fk FOREIGN KEY (value_coded) REFERENCES concept (concept_id),
  CONSTRAINT obs_previous_version_fk FOREIGN KEY (previous_version) REFERENCES obs (obs_id),
  CONSTRAINT obs_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id),
  CONSTRAINT obs_voided_by_fk FOREIGN KEY (voided_by) REFERENCES users (user_id)
) ${CHARSET}`,
  },
  {
    table: 'global_property',
    ddl: `CREATE TABLE IF NOT EXISTS global_property (
  property VARCHAR(255) NOT NULL PRIMARY KEY,
  property_value TEXT NULL,
  description TEXT NULL,
  ${uuid},
  UNIQUE KEY global_property_uuid (uuid)
) ${CHARSET}`,
  },
  {
    // OpenMRS's record of a patient merge (PersonMergeLog): written by `atomsync duplicates merge`
    // as OpenMRS's mergePatients writes it. No trigger: each node keeps its own, as OpenMRS does.
    table: 'person_merge_log',
    ddl: `CREATE TABLE IF NOT EXISTS person_merge_log (
  person_merge_log_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  winner_person_id INT NOT NULL,
  loser_person_id INT NOT NULL,
  ${created},
  merged_data LONGTEXT NOT NULL,
  ${uuid}, ${changed}, ${voided},
  UNIQUE KEY person_merge_log_unique_uuid (uuid), KEY person_merge_log_winner (winner_person_id), KEY person_merge_log_loser (loser_person_id),
  CONSTRAINT person_merge_log_winner_fk FOREIGN KEY (winner_person_id) REFERENCES person (person_id),
  CONSTRAINT person_merge_log_loser_fk FOREIGN KEY (loser_person_id) REFERENCES person (person_id),
  ${auditKeys('person_merge_log', 'voided')}
) ${CHARSET}`,
  },
  // OpenMRS 2.4's columns, in dependency order: metadata first, then the rows that point at it.
  ...METADATA_TABLES,
  ...RECORD_TABLES,
];

/** users <-> person is circular in OpenMRS; these keys are added once both tables exist. */
export const OPENMRS_LATE_KEYS: Array<{ table: string; name: string; ddl: string }> = [
  { table: 'users', name: 'users_person_fk', ddl: 'ALTER TABLE users ADD CONSTRAINT users_person_fk FOREIGN KEY (person_id) REFERENCES person (person_id)' },
  { table: 'users', name: 'users_creator_fk', ddl: 'ALTER TABLE users ADD CONSTRAINT users_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id)' },
  { table: 'person', name: 'person_creator_fk', ddl: 'ALTER TABLE person ADD CONSTRAINT person_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id)' },
  { table: 'person', name: 'person_changed_by_fk', ddl: 'ALTER TABLE person ADD CONSTRAINT person_changed_by_fk FOREIGN KEY (changed_by) REFERENCES users (user_id)' },
  { table: 'person', name: 'person_voided_by_fk', ddl: 'ALTER TABLE person ADD CONSTRAINT person_voided_by_fk FOREIGN KEY (voided_by) REFERENCES users (user_id)' },
  // obs is created before drug and orders; its keys to them come once those exist (fresh databases only, as above).
  { table: 'obs', name: 'obs_value_drug_fk', ddl: 'ALTER TABLE obs ADD CONSTRAINT obs_value_drug_fk FOREIGN KEY (value_drug) REFERENCES drug (drug_id)' },
  { table: 'obs', name: 'obs_order_fk', ddl: 'ALTER TABLE obs ADD CONSTRAINT obs_order_fk FOREIGN KEY (order_id) REFERENCES orders (order_id)' },
];

/** The built-in administrator every OpenMRS database has (user 1, person 1). */
export const ADMIN_USER_UUID = 'a1c0ffee-0000-4000-8000-000000000001';
export const ADMIN_PERSON_UUID = 'a1c0ffee-0000-4000-8000-000000000002';
