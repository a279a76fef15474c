// The concept dictionary as sync carries it: datatypes, classes, concepts with
// their names, answers, set members and numeric ranges, and drugs.
import {
  NO_CREATION,
  NO_LIFECYCLE,
  conceptDisplay,
  f,
  inlinePart,
  later,
  namedMetadata,
  part,
  ref,
  table,
} from '../resource-vocabulary.ts';
import type { ResourceDef } from '../resource-vocabulary.ts';

const conceptName = table('concept_name', 'concept_name_id', 'voidable', [
  f('name', 'name'),
  f('locale', 'locale'),
  f('locale_preferred', 'localePreferred', 'bool'),
  f('concept_name_type', 'conceptNameType'),
]);

/** concept_answer and concept_set rows have a creator and a uuid, and nothing else of the audit. */
const SET_ROW_LACKS = [...NO_LIFECYCLE, 'changed_by', 'date_changed'];

/** A coded question's possible answers (a concept, or a drug). */
const conceptAnswer = table(
  'concept_answer',
  'concept_answer_id',
  'voidable',
  [f('sort_weight', 'sortWeight', 'number')],
  [ref('answer_concept', 'answerConcept', 'concept'), ref('answer_drug', 'answerDrug', 'drug')],
  [],
  { lacks: SET_ROW_LACKS },
);

/** A set's members: the row belongs to the set (column concept_set) and names the member (concept_id). */
const conceptSet = table(
  'concept_set',
  'concept_set_id',
  'voidable',
  [f('sort_weight', 'sortWeight', 'number')],
  [ref('concept_id', 'concept', 'concept', true)],
  [],
  { lacks: SET_ROW_LACKS },
);

/** ConceptNumeric: OpenMRS shows its ranges and units on the concept itself. */
const conceptNumeric = table(
  'concept_numeric',
  'concept_id',
  'voidable',
  [
    f('hi_absolute', 'hiAbsolute', 'number'),
    f('hi_critical', 'hiCritical', 'number'),
    f('hi_normal', 'hiNormal', 'number'),
    f('low_absolute', 'lowAbsolute', 'number'),
    f('low_critical', 'lowCritical', 'number'),
    f('low_normal', 'lowNormal', 'number'),
    f('units', 'units'),
    // OpenMRS 2.3 renamed precise to allow_decimal; each database has one of them.
    f('precise', 'allowDecimal', 'bool'),
    f('allow_decimal', 'allowDecimal', 'bool'),
    f('display_precision', 'displayPrecision', 'int'),
  ],
  [],
  [],
  { uuid: false, changeAudit: false, lacks: [...NO_LIFECYCLE, ...NO_CREATION, 'precise'] },
);

export const CONCEPTS = {
  conceptdatatype: namedMetadata('conceptdatatype', 'concept_datatype', [f('hl7_abbreviation', 'hl7Abbreviation')]),
  conceptclass: namedMetadata('conceptclass', 'concept_class'),
  concept: {
    name: 'concept',
    kind: 'metadata',
    root: table(
      'concept',
      'concept_id',
      'retireable',
      [
        f('short_name', 'shortName'),
        f('description', 'description'),
        f('form_text', 'formText'),
        f('is_set', 'set', 'bool'),
        f('version', 'version'),
      ],
      [ref('datatype_id', 'datatype', 'conceptdatatype', true), ref('class_id', 'conceptClass', 'conceptclass', true)],
      [
        part('names', 'concept_id', conceptName),
        later(part('conceptAnswers', 'concept_id', conceptAnswer)),
        later(part('conceptSets', 'concept_set', conceptSet)),
        later(inlinePart('numeric', conceptNumeric)),
      ],
    ),
    display: conceptDisplay,
  },
  drug: {
    name: 'drug',
    kind: 'metadata',
    root: table(
      'drug',
      'drug_id',
      'retireable',
      [
        f('name', 'name'),
        f('combination', 'combination', 'bool'),
        f('maximum_daily_dose', 'maximumDailyDose', 'number'),
        f('minimum_daily_dose', 'minimumDailyDose', 'number'),
        f('strength', 'strength'),
      ],
      [ref('concept_id', 'concept', 'concept', true), ref('dosage_form', 'dosageForm', 'concept'), ref('route', 'route', 'concept')],
    ),
    display: (a) => `${a}.name`,
  },
} satisfies Record<string, ResourceDef>;
