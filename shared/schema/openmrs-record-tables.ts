// OpenMRS's clinical tables beyond visits, encounters and obs: orders with their
// drug and test subclasses, program enrolments and states, person attributes,
// relationships, conditions, encounter diagnoses, allergies, visit attributes.
// Columns are OpenMRS 2.4's (its liquibase schema snapshot), keys as OpenMRS
// has them with our names. Where we differ it is said beside the table.
import { CHARSET, auditKeys, changed, created, uuid, voided } from './openmrs-columns.ts';
import { attributeDdl } from './openmrs-metadata-tables.ts';

export const RECORD_TABLES: Array<{ table: string; ddl: string }> = [
  {
    // Orders are never edited: a change is a new order (REVISE, DISCONTINUE) pointing at the
    // previous one, so there is no changed_by/date_changed. order_group_id is OpenMRS's column;
    // its order_group table is not part of this schema, so it has no key here.
    table: 'orders',
    ddl: `CREATE TABLE IF NOT EXISTS orders (
  order_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_type_id INT NOT NULL DEFAULT 0,
  concept_id INT NOT NULL DEFAULT 0,
  orderer INT NOT NULL,
  encounter_id INT NOT NULL,
  instructions TEXT NULL,
  date_activated DATETIME NULL,
  auto_expire_date DATETIME NULL,
  date_stopped DATETIME NULL,
  order_reason INT NULL,
  order_reason_non_coded VARCHAR(255) NULL,
  patient_id INT NOT NULL,
  accession_number VARCHAR(255) NULL,
  urgency VARCHAR(50) NOT NULL DEFAULT 'ROUTINE',
  order_number VARCHAR(50) NOT NULL,
  previous_order_id INT NULL,
  order_action VARCHAR(50) NOT NULL,
  comment_to_fulfiller VARCHAR(1024) NULL,
  care_setting INT NOT NULL,
  scheduled_date DATETIME NULL,
  order_group_id INT NULL,
  sort_weight DOUBLE NULL,
  fulfiller_comment VARCHAR(1024) NULL,
  fulfiller_status VARCHAR(50) NULL,
  ${created}, ${voided}, ${uuid},
  UNIQUE KEY orders_uuid (uuid), KEY orders_order_number (order_number), KEY orders_accession_number (accession_number),
  CONSTRAINT orders_order_type_fk FOREIGN KEY (order_type_id) REFERENCES order_type (order_type_id),
  CONSTRAINT orders_concept_fk FOREIGN KEY (concept_id) REFERENCES concept (concept_id),
  CONSTRAINT orders_orderer_fk FOREIGN KEY (orderer) REFERENCES provider (provider_id),
  CONSTRAINT orders_encounter_fk FOREIGN KEY (encounter_id) REFERENCES encounter (encounter_id),
  CONSTRAINT orders_order_reason_fk FOREIGN KEY (order_reason) REFERENCES concept (concept_id),
  CONSTRAINT orders_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT orders_previous_order_fk FOREIGN KEY (previous_order_id) REFERENCES orders (order_id),
  CONSTRAINT orders_care_setting_fk FOREIGN KEY (care_setting) REFERENCES care_setting (care_setting_id),
  CONSTRAINT orders_creator_fk FOREIGN KEY (creator) REFERENCES users (user_id),
  CONSTRAINT orders_voided_by_fk FOREIGN KEY (voided_by) REFERENCES users (user_id)
) ${CHARSET}`,
  },
  {
    table: 'drug_order',
    ddl: `CREATE TABLE IF NOT EXISTS drug_order (
  order_id INT NOT NULL DEFAULT 0 PRIMARY KEY,
  drug_inventory_id INT NULL,
  dose DOUBLE NULL,
  as_needed TINYINT(1) NULL DEFAULT 0,
  dosing_type VARCHAR(255) NULL,
  quantity DOUBLE NULL,
  as_needed_condition VARCHAR(255) NULL,
  num_refills INT NULL,
  dosing_instructions TEXT NULL,
  duration INT NULL,
  duration_units INT NULL,
  quantity_units INT NULL,
  route INT NULL,
  dose_units INT NULL,
  frequency INT NULL,
  brand_name VARCHAR(255) NULL,
  dispense_as_written TINYINT(1) NOT NULL DEFAULT 0,
  drug_non_coded VARCHAR(255) NULL,
  CONSTRAINT drug_order_order_fk FOREIGN KEY (order_id) REFERENCES orders (order_id),
  CONSTRAINT drug_order_drug_fk FOREIGN KEY (drug_inventory_id) REFERENCES drug (drug_id),
  CONSTRAINT drug_order_duration_units_fk FOREIGN KEY (duration_units) REFERENCES concept (concept_id),
  CONSTRAINT drug_order_quantity_units_fk FOREIGN KEY (quantity_units) REFERENCES concept (concept_id),
  CONSTRAINT drug_order_route_fk FOREIGN KEY (route) REFERENCES concept (concept_id),
  CONSTRAINT drug_order_dose_units_fk FOREIGN KEY (dose_units) REFERENCES concept (concept_id),
  CONSTRAINT drug_order_frequency_fk FOREIGN KEY (frequency) REFERENCES order_frequency (order_frequency_id)
) ${CHARSET}`,
  },
  {
    table: 'test_order',
    ddl: `CREATE TABLE IF NOT EXISTS test_order (
  order_id INT NOT NULL DEFAULT 0 PRIMARY KEY,
  specimen_source INT NULL,
  laterality VARCHAR(20) NULL,
  clinical_history TEXT NULL,
  frequency INT NULL,
  number_of_repeats INT NULL,
  CONSTRAINT test_order_order_fk FOREIGN KEY (order_id) REFERENCES orders (order_id),
  CONSTRAINT test_order_specimen_source_fk FOREIGN KEY (specimen_source) REFERENCES concept (concept_id),
  CONSTRAINT test_order_frequency_fk FOREIGN KEY (frequency) REFERENCES order_frequency (order_frequency_id)
) ${CHARSET}`,
  },
  {
    table: 'patient_program',
    ddl: `CREATE TABLE IF NOT EXISTS patient_program (
  patient_program_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL DEFAULT 0,
  program_id INT NOT NULL DEFAULT 0,
  date_enrolled DATETIME NULL,
  date_completed DATETIME NULL,
  location_id INT NULL,
  outcome_concept_id INT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY patient_program_uuid (uuid),
  CONSTRAINT patient_program_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT patient_program_program_fk FOREIGN KEY (program_id) REFERENCES program (program_id),
  CONSTRAINT patient_program_location_fk FOREIGN KEY (location_id) REFERENCES location (location_id),
  CONSTRAINT patient_program_outcome_fk FOREIGN KEY (outcome_concept_id) REFERENCES concept (concept_id),
  ${auditKeys('patient_program', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'patient_state',
    ddl: `CREATE TABLE IF NOT EXISTS patient_state (
  patient_state_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_program_id INT NOT NULL DEFAULT 0,
  state INT NOT NULL DEFAULT 0,
  start_date DATE NULL,
  end_date DATE NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY patient_state_uuid (uuid),
  CONSTRAINT patient_state_patient_program_fk FOREIGN KEY (patient_program_id) REFERENCES patient_program (patient_program_id),
  CONSTRAINT patient_state_state_fk FOREIGN KEY (state) REFERENCES program_workflow_state (program_workflow_state_id),
  ${auditKeys('patient_state', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'person_attribute',
    ddl: `CREATE TABLE IF NOT EXISTS person_attribute (
  person_attribute_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  person_id INT NOT NULL DEFAULT 0,
  value VARCHAR(50) NOT NULL,
  person_attribute_type_id INT NOT NULL DEFAULT 0,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY person_attribute_uuid (uuid),
  CONSTRAINT person_attribute_person_fk FOREIGN KEY (person_id) REFERENCES person (person_id),
  CONSTRAINT person_attribute_type_fk FOREIGN KEY (person_attribute_type_id) REFERENCES person_attribute_type (person_attribute_type_id),
  ${auditKeys('person_attribute', 'voided')}
) ${CHARSET}`,
  },
  {
    table: 'relationship',
    ddl: `CREATE TABLE IF NOT EXISTS relationship (
  relationship_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  person_a INT NOT NULL,
  relationship INT NOT NULL DEFAULT 0,
  person_b INT NOT NULL,
  start_date DATETIME NULL,
  end_date DATETIME NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY relationship_uuid (uuid),
  CONSTRAINT relationship_person_a_fk FOREIGN KEY (person_a) REFERENCES person (person_id),
  CONSTRAINT relationship_person_b_fk FOREIGN KEY (person_b) REFERENCES person (person_id),
  CONSTRAINT relationship_type_fk FOREIGN KEY (relationship) REFERENCES relationship_type (relationship_type_id),
  ${auditKeys('relationship', 'voided')}
) ${CHARSET}`,
  },
  {
    // The 2.2+ table (OpenMRS 2.1's was emrapi's, renamed emrapi_conditions by 2.2); encounter_id and
    // form_namespace_and_path came with 2.4. uuid is nullable VARCHAR(38) in OpenMRS, but unique.
    table: 'conditions',
    ddl: `CREATE TABLE IF NOT EXISTS conditions (
  condition_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  additional_detail VARCHAR(255) NULL,
  previous_version INT NULL,
  condition_coded INT NULL,
  condition_non_coded VARCHAR(255) NULL,
  condition_coded_name INT NULL,
  clinical_status VARCHAR(50) NOT NULL,
  verification_status VARCHAR(50) NULL,
  onset_date DATETIME NULL,
  end_date DATETIME NULL,
  patient_id INT NOT NULL,
  encounter_id INT NULL,
  form_namespace_and_path VARCHAR(255) NULL,
  ${created}, ${changed}, ${voided},
  uuid VARCHAR(38) NULL,
  UNIQUE KEY conditions_uuid (uuid),
  CONSTRAINT conditions_previous_version_fk FOREIGN KEY (previous_version) REFERENCES conditions (condition_id),
  CONSTRAINT conditions_coded_fk FOREIGN KEY (condition_coded) REFERENCES concept (concept_id),
  CONSTRAINT conditions_coded_name_fk FOREIGN KEY (condition_coded_name) REFERENCES concept_name (concept_name_id),
  CONSTRAINT conditions_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT conditions_encounter_fk FOREIGN KEY (encounter_id) REFERENCES encounter (encounter_id),
  ${auditKeys('conditions', 'voided')}
) ${CHARSET}`,
  },
  {
    // OpenMRS 2.2+. `rank` is quoted: it is a reserved word in MySQL 8.
    table: 'encounter_diagnosis',
    ddl: `CREATE TABLE IF NOT EXISTS encounter_diagnosis (
  diagnosis_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  diagnosis_coded INT NULL,
  diagnosis_non_coded VARCHAR(255) NULL,
  diagnosis_coded_name INT NULL,
  encounter_id INT NOT NULL,
  patient_id INT NOT NULL,
  condition_id INT NULL,
  certainty VARCHAR(255) NOT NULL,
  \`rank\` INT NOT NULL,
  ${created}, ${changed}, ${voided}, ${uuid},
  UNIQUE KEY encounter_diagnosis_uuid (uuid),
  CONSTRAINT encounter_diagnosis_coded_fk FOREIGN KEY (diagnosis_coded) REFERENCES concept (concept_id),
  CONSTRAINT encounter_diagnosis_coded_name_fk FOREIGN KEY (diagnosis_coded_name) REFERENCES concept_name (concept_name_id),
  CONSTRAINT encounter_diagnosis_encounter_fk FOREIGN KEY (encounter_id) REFERENCES encounter (encounter_id),
  CONSTRAINT encounter_diagnosis_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT encounter_diagnosis_condition_fk FOREIGN KEY (condition_id) REFERENCES conditions (condition_id),
  ${auditKeys('encounter_diagnosis', 'voided')}
) ${CHARSET}`,
  },
  {
    // As in OpenMRS, voided defaults to 1 here (every writer sets it) and uuid is nullable.
    // OpenMRS has no unique key on allergy.uuid; we add one, as rows are found and upserted by uuid.
    // (comments was `comment` before OpenMRS 2.3.)
    table: 'allergy',
    ddl: `CREATE TABLE IF NOT EXISTS allergy (
  allergy_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_id INT NOT NULL,
  severity_concept_id INT NULL,
  coded_allergen INT NOT NULL,
  non_coded_allergen VARCHAR(255) NULL,
  allergen_type VARCHAR(50) NOT NULL,
  comments VARCHAR(1024) NULL,
  ${created}, ${changed},
  voided TINYINT(1) NOT NULL DEFAULT 1, voided_by INT NULL, date_voided DATETIME NULL, void_reason VARCHAR(255) NULL,
  uuid CHAR(38) NULL,
  UNIQUE KEY allergy_uuid (uuid),
  CONSTRAINT allergy_patient_fk FOREIGN KEY (patient_id) REFERENCES patient (patient_id),
  CONSTRAINT allergy_severity_fk FOREIGN KEY (severity_concept_id) REFERENCES concept (concept_id),
  CONSTRAINT allergy_coded_allergen_fk FOREIGN KEY (coded_allergen) REFERENCES concept (concept_id),
  ${auditKeys('allergy', 'voided')}
) ${CHARSET}`,
  },
  {
    // No audit columns in OpenMRS: a reaction lives and dies with its allergy. Unique uuid as for allergy.
    table: 'allergy_reaction',
    ddl: `CREATE TABLE IF NOT EXISTS allergy_reaction (
  allergy_reaction_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  allergy_id INT NOT NULL,
  reaction_concept_id INT NOT NULL,
  reaction_non_coded VARCHAR(255) NULL,
  uuid CHAR(38) NULL,
  UNIQUE KEY allergy_reaction_uuid (uuid),
  CONSTRAINT allergy_reaction_allergy_fk FOREIGN KEY (allergy_id) REFERENCES allergy (allergy_id),
  CONSTRAINT allergy_reaction_concept_fk FOREIGN KEY (reaction_concept_id) REFERENCES concept (concept_id)
) ${CHARSET}`,
  },
  { table: 'visit_attribute', ddl: attributeDdl('visit_attribute', 'visit', 'visit_attribute_type') },
];
