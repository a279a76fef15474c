// Orders as OpenMRS keeps them: one `orders` row per order (a revision or a
// discontinuation is a new order pointing at the previous one), with the drug or
// test details in a subclass table sharing its key, and the metadata they need.
import {
  NO_CREATION,
  NO_LIFECYCLE,
  NO_RETIRE_DETAILS,
  conceptNameSql,
  f,
  inlinePart,
  namedMetadata,
  ref,
  table,
} from '../resource-vocabulary.ts';
import type { ResourceDef } from '../resource-vocabulary.ts';

/** drug_order and test_order have no audit or lifecycle columns: their order has them. */
const SUBCLASS = { uuid: false, changeAudit: false, lacks: [...NO_LIFECYCLE, ...NO_CREATION] } as const;

const drugOrder = table(
  'drug_order',
  'order_id',
  'voidable',
  [
    f('dose', 'dose', 'number'),
    f('as_needed', 'asNeeded', 'bool'),
    f('dosing_type', 'dosingType'),
    f('quantity', 'quantity', 'number'),
    f('as_needed_condition', 'asNeededCondition'),
    f('num_refills', 'numRefills', 'int'),
    f('dosing_instructions', 'dosingInstructions'),
    f('duration', 'duration', 'int'),
    f('brand_name', 'brandName'),
    f('dispense_as_written', 'dispenseAsWritten', 'bool'),
    f('drug_non_coded', 'drugNonCoded'),
  ],
  [
    ref('drug_inventory_id', 'drug', 'drug'),
    ref('dose_units', 'doseUnits', 'concept'),
    ref('frequency', 'frequency', 'orderfrequency'),
    ref('route', 'route', 'concept'),
    ref('duration_units', 'durationUnits', 'concept'),
    ref('quantity_units', 'quantityUnits', 'concept'),
  ],
  [],
  SUBCLASS,
);

const testOrder = table(
  'test_order',
  'order_id',
  'voidable',
  [f('laterality', 'laterality'), f('clinical_history', 'clinicalHistory'), f('number_of_repeats', 'numberOfRepeats', 'int')],
  [ref('specimen_source', 'specimenSource', 'concept'), ref('frequency', 'frequency', 'orderfrequency')],
  [],
  SUBCLASS,
);

export const ORDERS = {
  ordertype: namedMetadata('ordertype', 'order_type', [f('java_class_name', 'javaClassName')], [ref('parent', 'parent', 'ordertype')]),
  caresetting: namedMetadata('caresetting', 'care_setting', [f('care_setting_type', 'careSettingType')]),
  orderfrequency: {
    name: 'orderfrequency',
    kind: 'metadata',
    root: table('order_frequency', 'order_frequency_id', 'retireable', [f('frequency_per_day', 'frequencyPerDay', 'number')], [
      ref('concept_id', 'concept', 'concept', true),
    ]),
    display: (a) => conceptNameSql(`${a}.concept_id`),
  },
  order: {
    name: 'order',
    kind: 'clinical',
    root: table(
      'orders',
      'order_id',
      'voidable',
      [
        f('order_number', 'orderNumber'),
        f('accession_number', 'accessionNumber'),
        f('order_action', 'action'),
        f('urgency', 'urgency'),
        f('instructions', 'instructions'),
        f('date_activated', 'dateActivated', 'datetime'),
        f('scheduled_date', 'scheduledDate', 'datetime'),
        f('date_stopped', 'dateStopped', 'datetime'),
        f('auto_expire_date', 'autoExpireDate', 'datetime'),
        f('order_reason_non_coded', 'orderReasonNonCoded'),
        f('comment_to_fulfiller', 'commentToFulfiller'),
        f('sort_weight', 'sortWeight', 'number'),
      ],
      [
        ref('patient_id', 'patient', 'patient', true),
        ref('encounter_id', 'encounter', 'encounter', true),
        ref('order_type_id', 'orderType', 'ordertype', true),
        ref('concept_id', 'concept', 'concept', true),
        ref('orderer', 'orderer', 'provider', true),
        ref('care_setting', 'careSetting', 'caresetting', true),
        ref('order_reason', 'orderReason', 'concept'),
        // Revisions and discontinuations form a chain; the previous order is applied first.
        ref('previous_order_id', 'previousOrder', 'order'),
      ],
      [inlinePart('drugOrder', drugOrder, 'drugorder'), inlinePart('testOrder', testOrder, 'testorder')],
      { changeAudit: false },
    ),
    subtypeProp: { prop: 'type', base: 'order' },
    display: (a) =>
      `CONCAT_WS(' ', (SELECT CONCAT('(', ${a}.order_action, ')')), COALESCE(
        (SELECT d.name FROM drug_order dor JOIN drug d ON d.drug_id = dor.drug_inventory_id WHERE dor.order_id = ${a}.order_id),
        ${conceptNameSql(`${a}.concept_id`)}))`,
  },
} satisfies Record<string, ResourceDef>;

export const PROGRAMS = {
  program: {
    name: 'program',
    kind: 'metadata',
    root: table(
      'program',
      'program_id',
      'retireable',
      [f('name', 'name'), f('description', 'description')],
      [ref('concept_id', 'concept', 'concept', true), ref('outcomes_concept_id', 'outcomesConcept', 'concept')],
      [],
      { lacks: NO_RETIRE_DETAILS },
    ),
    display: (a) => `${a}.name`,
  },
  programworkflow: {
    name: 'programworkflow',
    kind: 'metadata',
    root: table(
      'program_workflow',
      'program_workflow_id',
      'retireable',
      [],
      [ref('program_id', 'program', 'program', true), ref('concept_id', 'concept', 'concept', true)],
      [],
      { lacks: NO_RETIRE_DETAILS },
    ),
    display: (a) => conceptNameSql(`${a}.concept_id`),
  },
  programworkflowstate: {
    name: 'programworkflowstate',
    kind: 'metadata',
    root: table(
      'program_workflow_state',
      'program_workflow_state_id',
      'retireable',
      [f('initial', 'initial', 'bool'), f('terminal', 'terminal', 'bool')],
      [ref('program_workflow_id', 'programWorkflow', 'programworkflow', true), ref('concept_id', 'concept', 'concept', true)],
      [],
      { lacks: NO_RETIRE_DETAILS },
    ),
    display: (a) => conceptNameSql(`${a}.concept_id`),
  },
  programenrollment: {
    name: 'programenrollment',
    kind: 'clinical',
    root: table(
      'patient_program',
      'patient_program_id',
      'voidable',
      [f('date_enrolled', 'dateEnrolled', 'datetime'), f('date_completed', 'dateCompleted', 'datetime')],
      [
        ref('patient_id', 'patient', 'patient', true),
        ref('program_id', 'program', 'program', true),
        ref('location_id', 'location', 'location'),
        ref('outcome_concept_id', 'outcome', 'concept'),
      ],
      [
        {
          prop: 'states',
          many: true,
          parentKeyColumn: 'patient_program_id',
          shape: 'rows',
          spec: table(
            'patient_state',
            'patient_state_id',
            'voidable',
            [f('start_date', 'startDate', 'date'), f('end_date', 'endDate', 'date')],
            [ref('state', 'state', 'programworkflowstate', true)],
          ),
        },
      ],
    ),
    display: (a) => `(SELECT p.name FROM program p WHERE p.program_id = ${a}.program_id)`,
  },
} satisfies Record<string, ResourceDef>;
