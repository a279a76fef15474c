// OpenMRS metadata tables of the whole clinical record: what orders, programs,
// attributes, relationships and tags are made of, and the concept dictionary's
// answers, sets and numeric ranges. Columns are OpenMRS 2.4's (its liquibase
// schema snapshot), as are the keys, except that key names follow ours.
import { CHARSET, auditKeys, changed, created, retired, uuid, voided } from './openmrs-columns.ts';

/** OpenMRS's attribute types (visit, location, ...) share this shape. */
function attributeTypeDdl(t: string, uniqueName: boolean): string {
  return `CREATE TABLE IF NOT EXISTS ${t} (
  ${t}_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(1024) NULL,
  datatype VARCHAR(255) NULL,
  datatype_config TEXT NULL,
  preferred_handler VARCHAR(255) NULL,
  handler_config TEXT NULL,
  min_occurs INT NOT NULL,
  max_occurs INT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY ${t}_uuid (uuid)${uniqueName ? `, UNIQUE KEY ${t}_name (name)` : ''},
  ${auditKeys(t, 'retired')}
) ${CHARSET}`;
}

/** ... and their attributes: a value_reference (text, or an id as text) for one owner row. */
export function attributeDdl(t: string, owner: string, typeTable: string): string {
  return `CREATE TABLE IF NOT EXISTS ${t} (
  ${t}_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ${owner}_id INT NOT NULL,
  attribute_type_id INT NOT NULL,
  value_reference TEXT NOT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY ${t}_uuid (uuid),
  CONSTRAINT ${t}_${owner}_fk FOREIGN KEY (${owner}_id) REFERENCES ${owner} (${owner}_id),
  CONSTRAINT ${t}_type_fk FOREIGN KEY (attribute_type_id) REFERENCES ${typeTable} (${typeTable}_id),
  ${auditKeys(t, 'voided')}
) ${CHARSET}`;
}

export const METADATA_TABLES: Array<{ table: string; ddl: string }> = [
  {
    table: 'order_type',
    ddl: `CREATE TABLE IF NOT EXISTS order_type (
  order_type_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description TEXT NULL,
  java_class_name VARCHAR(255) NOT NULL,
  parent INT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY order_type_uuid (uuid), UNIQUE KEY order_type_name (name),
  CONSTRAINT order_type_parent_fk FOREIGN KEY (parent) REFERENCES order_type (order_type_id),
  ${auditKeys('order_type', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'care_setting',
    ddl: `CREATE TABLE IF NOT EXISTS care_setting (
  care_setting_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(255) NULL,
  care_setting_type VARCHAR(50) NOT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY care_setting_uuid (uuid), UNIQUE KEY care_setting_name (name),
  ${auditKeys('care_setting', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'drug',
    ddl: `CREATE TABLE IF NOT EXISTS drug (
  drug_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concept_id INT NOT NULL DEFAULT 0,
  name VARCHAR(255) NULL,
  combination TINYINT(1) NOT NULL DEFAULT 0,
  dosage_form INT NULL,
  maximum_daily_dose DOUBLE NULL,
  minimum_daily_dose DOUBLE NULL,
  route INT NULL,
  strength VARCHAR(255) NULL,
  dose_limit_units INT NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY drug_uuid (uuid),
  CONSTRAINT drug_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  CONSTRAINT drug_dosage_form_fk FOREIGN KEY (dosage_form) REFERENCES concept (concept_id),
  CONSTRAINT drug_route_fk FOREIGN KEY (route) REFERENCES concept (concept_id),
  CONSTRAINT drug_dose_limit_units_fk FOREIGN KEY (dose_limit_units) REFERENCES concept (concept_id),
  ${auditKeys('drug', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'order_frequency',
    ddl: `CREATE TABLE IF NOT EXISTS order_frequency (
  order_frequency_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concept_id INT NOT NULL,
  frequency_per_day DOUBLE NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY order_frequency_uuid (uuid), UNIQUE KEY order_frequency_concept (concept_id),
  CONSTRAINT order_frequency_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  ${auditKeys('order_frequency', 'retired')}
) ${CHARSET}`,
  },
  {
    // Programs, workflows and states have a retired flag but no retired_by/date_retired/retire_reason.
    table: 'program',
    ddl: `CREATE TABLE IF NOT EXISTS program (
  program_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concept_id INT NOT NULL DEFAULT 0,
  outcomes_concept_id INT NULL,
  name VARCHAR(50) NOT NULL,
  description TEXT NULL,
  ${created}, ${changed}, retired TINYINT(1) NOT NULL DEFAULT 0, ${uuid},
  UNIQUE KEY program_uuid (uuid),
  CONSTRAINT program_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  CONSTRAINT program_outcomes_concept_fk FOREIGN KEY (outcomes_concept_id) REFERENCES concept (concept_id),
  ${auditKeys('program', 'none')}
) ${CHARSET}`,
  },
  {
    table: 'program_workflow',
    ddl: `CREATE TABLE IF NOT EXISTS program_workflow (
  program_workflow_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  program_id INT NOT NULL DEFAULT 0,
  concept_id INT NOT NULL DEFAULT 0,
  ${created}, ${changed}, retired TINYINT(1) NOT NULL DEFAULT 0, ${uuid},
  UNIQUE KEY program_workflow_uuid (uuid),
  CONSTRAINT program_workflow_program_fk FOREIGN KEY (program_id) REFERENCES program (program_id),
  CONSTRAINT program_workflow_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  ${auditKeys('program_workflow', 'none')}
) ${CHARSET}`,
  },
  {
    table: 'program_workflow_state',
    ddl: `CREATE TABLE IF NOT EXISTS program_workflow_state (
  program_workflow_state_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  program_workflow_id INT NOT NULL DEFAULT 0,
  concept_id INT NOT NULL DEFAULT 0,
  initial TINYINT(1) NOT NULL DEFAULT 0,
  terminal TINYINT(1) NOT NULL DEFAULT 0,
  ${created}, ${changed}, retired TINYINT(1) NOT NULL DEFAULT 0, ${uuid},
  UNIQUE KEY program_workflow_state_uuid (uuid),
  CONSTRAINT program_workflow_state_workflow_fk FOREIGN KEY (program_workflow_id) REFERENCES program_workflow (program_workflow_id),
  CONSTRAINT program_workflow_state_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  ${auditKeys('program_workflow_state', 'none')}
) ${CHARSET}`,
  },
  {
    // OpenMRS also keys edit_privilege to its privilege table, which this schema does not have.
    table: 'person_attribute_type',
    ddl: `CREATE TABLE IF NOT EXISTS person_attribute_type (
  person_attribute_type_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(50) NOT NULL,
  description TEXT NULL,
  format VARCHAR(50) NULL,
  foreign_key INT NULL,
  searchable TINYINT(1) NOT NULL DEFAULT 0,
  edit_privilege VARCHAR(255) NULL,
  sort_weight DOUBLE NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY person_attribute_type_uuid (uuid), KEY person_attribute_type_name (name),
  ${auditKeys('person_attribute_type', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'relationship_type',
    ddl: `CREATE TABLE IF NOT EXISTS relationship_type (
  relationship_type_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  a_is_to_b VARCHAR(50) NOT NULL,
  b_is_to_a VARCHAR(50) NOT NULL,
  preferred TINYINT(1) NOT NULL DEFAULT 0,
  weight INT NOT NULL DEFAULT 0,
  description VARCHAR(255) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY relationship_type_uuid (uuid),
  ${auditKeys('relationship_type', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'concept_answer',
    ddl: `CREATE TABLE IF NOT EXISTS concept_answer (
  concept_answer_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concept_id INT NOT NULL DEFAULT 0,
  answer_concept INT NULL,
  answer_drug INT NULL,
  sort_weight DOUBLE NULL,
  ${created}, ${uuid},
  UNIQUE KEY concept_answer_uuid (uuid),
  CONSTRAINT concept_answer_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  CONSTRAINT concept_answer_answer_fk FOREIGN KEY (answer_concept) REFERENCES concept (concept_id),
  CONSTRAINT concept_answer_drug_fk FOREIGN KEY (answer_drug) REFERENCES drug (drug_id),
  CONSTRAINT concept_answer_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id)
) ${CHARSET}`,
  },
  {
    // As in OpenMRS, concept_set (the set) is keyed to concept and the member column only indexed.
    table: 'concept_set',
    ddl: `CREATE TABLE IF NOT EXISTS concept_set (
  concept_set_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  concept_id INT NOT NULL DEFAULT 0,
  concept_set INT NOT NULL DEFAULT 0,
  sort_weight DOUBLE NULL,
  ${created}, ${uuid},
  UNIQUE KEY concept_set_uuid (uuid), KEY concept_set_member (concept_id),
  CONSTRAINT concept_set_set_fk FOREIGN KEY (concept_set) REFERENCES concept (concept_id),
  CONSTRAINT concept_set_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id)
) ${CHARSET}`,
  },
  {
    // allow_decimal was `precise` before OpenMRS 2.2.
    table: 'concept_numeric',
    ddl: `CREATE TABLE IF NOT EXISTS concept_numeric (
  concept_id INT NOT NULL DEFAULT 0 PRIMARY KEY,
  hi_absolute DOUBLE NULL,
  hi_critical DOUBLE NULL,
  hi_normal DOUBLE NULL,
  low_absolute DOUBLE NULL,
  low_critical DOUBLE NULL,
  low_normal DOUBLE NULL,
  units VARCHAR(50) NULL,
  allow_decimal TINYINT(1) NULL DEFAULT 0,
  display_precision INT NULL,
  CONSTRAINT concept_numeric_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id)
) ${CHARSET}`,
  },
  { table: 'visit_attribute_type', ddl: attributeTypeDdl('visit_attribute_type', false) },
  { table: 'location_attribute_type', ddl: attributeTypeDdl('location_attribute_type', true) },
  { table: 'location_attribute', ddl: attributeDdl('location_attribute', 'location', 'location_attribute_type') },
  {
    table: 'location_tag',
    ddl: `CREATE TABLE IF NOT EXISTS location_tag (
  location_tag_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(50) NOT NULL,
  description VARCHAR(255) NULL,
  ${created}, ${changed}, ${retired}, ${uuid},
  UNIQUE KEY location_tag_uuid (uuid),
  ${auditKeys('location_tag', 'retired')}
) ${CHARSET}`,
  },
  {
    table: 'location_tag_map',
    ddl: `CREATE TABLE IF NOT EXISTS location_tag_map (
  location_id INT NOT NULL,
  location_tag_id INT NOT NULL,
  PRIMARY KEY (location_id, location_tag_id), KEY location_tag_map_tag (location_tag_id),
  CONSTRAINT location_tag_map_location_fk FOREIGN KEY (location_id) REFERENCES location (location_id),
  CONSTRAINT location_tag_map_tag_fk FOREIGN KEY (location_tag_id) REFERENCES location_tag (location_tag_id)
) ${CHARSET}`,
  },
];

