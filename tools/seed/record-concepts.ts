// Concepts of the rest of the clinical record: drugs with their forms, routes
// and units, order frequencies, specimens, allergens and reactions, programs
// with their workflows and states, and the answers of coded attributes.
// Name-based uuids, like the rest of the seed's dictionary (concepts.ts).
import { answer, concept } from './concept-item.ts';
import type { ConceptItem } from './concept-item.ts';

const drug = (key: string, name: string) => concept(key, name, 'na', 'drug');
const unit = (key: string, name: string) => answer(key, name, 'misc');
const frequency = (key: string, name: string) => answer(key, name, 'frequency');
const specimen = (key: string, name: string) => answer(key, name, 'specimen');

export const RECORD_CONCEPTS = {
  // ---- drugs (the drug table's rows point at these) ----------------------------------
  amoxicillin: drug('AMOXICILLIN', 'Amoxicillin'),
  paracetamol: drug('PARACETAMOL', 'Paracetamol'),
  artemetherLumefantrine: drug('ARTEMETHER_LUMEFANTRINE', 'Artemether / Lumefantrine'),
  cotrimoxazole: drug('COTRIMOXAZOLE', 'Sulfamethoxazole / Trimethoprim'),
  tld: drug('TDF_3TC_DTG', 'Tenofovir / Lamivudine / Dolutegravir'),
  rhze: drug('RHZE', 'Rifampicin / Isoniazid / Pyrazinamide / Ethambutol'),
  rh: drug('RH', 'Rifampicin / Isoniazid'),
  isoniazid: drug('ISONIAZID', 'Isoniazid'),
  metformin: drug('METFORMIN', 'Metformin'),
  amlodipine: drug('AMLODIPINE', 'Amlodipine'),
  hydrochlorothiazide: drug('HYDROCHLOROTHIAZIDE', 'Hydrochlorothiazide'),
  salbutamol: drug('SALBUTAMOL', 'Salbutamol'),
  ferrousSulfate: drug('FERROUS_SULFATE', 'Ferrous sulfate'),
  ors: drug('ORAL_REHYDRATION_SALTS', 'Oral rehydration salts'),
  zinc: drug('ZINC_SULFATE', 'Zinc sulfate'),
  nitrofurantoin: drug('NITROFURANTOIN', 'Nitrofurantoin'),
  penicillin: drug('PENICILLIN', 'Penicillin'),

  // ---- dosage forms, routes, dose/duration units ------------------------------------
  tablet: unit('TABLET', 'Tablet'),
  capsule: unit('CAPSULE', 'Capsule'),
  syrup: unit('SYRUP', 'Syrup'),
  sachet: unit('SACHET', 'Sachet'),
  inhaler: unit('METERED_DOSE_INHALER', 'Metered dose inhaler'),
  milligram: unit('MILLIGRAM', 'mg'),
  millilitre: unit('MILLILITRE', 'mL'),
  puff: unit('PUFF', 'Puff'),
  oral: unit('ORAL', 'Oral'),
  inhaled: unit('INHALED', 'Inhaled'),
  days: unit('DAYS', 'Days'),
  weeks: unit('WEEKS', 'Weeks'),
  months: unit('MONTHS', 'Months'),

  // ---- order frequencies ---------------------------------------------------------
  onceDaily: frequency('ONCE_DAILY', 'Once daily'),
  twiceDaily: frequency('TWICE_DAILY', 'Twice daily'),
  thriceDaily: frequency('THRICE_DAILY', 'Thrice daily'),
  fourTimesDaily: frequency('FOUR_TIMES_DAILY', 'Four times daily'),
  asNeeded: frequency('AS_NEEDED', 'As needed'),

  // ---- specimens and a TB test ------------------------------------------------------
  blood: specimen('BLOOD', 'Blood'),
  sputum: specimen('SPUTUM', 'Sputum'),
  urine: specimen('URINE', 'Urine'),
  genexpert: concept('GENEXPERT_MTB_RIF', 'GeneXpert MTB/RIF', 'coded', 'test', { shortName: 'GeneXpert', answers: ['positive', 'negative'] }),

  // ---- allergens, reactions, severities ----------------------------------------------
  peanuts: answer('PEANUTS', 'Peanuts'),
  eggs: answer('EGGS', 'Eggs'),
  shellfish: answer('SHELLFISH', 'Shellfish'),
  dust: answer('DUST', 'Dust'),
  pollen: answer('POLLEN', 'Pollen'),
  beeSting: answer('BEE_STINGS', 'Bee stings'),
  urticaria: answer('URTICARIA', 'Hives', 'symptom'),
  anaphylaxis: answer('ANAPHYLAXIS', 'Anaphylaxis', 'diagnosis'),
  angioedema: answer('ANGIOEDEMA', 'Angioedema', 'symptom'),
  itching: answer('ITCHING', 'Itching', 'symptom'),
  wheezing: answer('WHEEZING', 'Wheezing', 'symptom'),
  mild: answer('MILD', 'Mild'),
  moderate: answer('MODERATE', 'Moderate'),
  severe: answer('SEVERE', 'Severe'),

  // ---- programs, workflows, states ---------------------------------------------------
  hivProgram: concept('HIV_CARE_PROGRAM', 'HIV care and treatment program', 'na', 'misc'),
  tbProgram: concept('TB_TREATMENT_PROGRAM', 'Tuberculosis treatment program', 'na', 'misc'),
  hivTreatmentStatus: concept('HIV_TREATMENT_STATUS', 'HIV treatment status', 'coded', 'question', {
    answers: ['preArt', 'onArt', 'transferredOut', 'defaulted', 'patientDied'],
  }),
  tbTreatmentPhase: concept('TB_TREATMENT_PHASE', 'Tuberculosis treatment phase', 'coded', 'question', {
    answers: ['intensivePhase', 'continuationPhase', 'treatmentComplete', 'cured', 'patientDied'],
  }),
  preArt: answer('PRE_ART', 'Pre-ART care'),
  onArt: answer('ON_ART', 'On antiretroviral therapy'),
  transferredOut: answer('TRANSFERRED_OUT', 'Patient transferred out'),
  defaulted: answer('DEFAULTED', 'Lost to follow-up'),
  patientDied: answer('PATIENT_DIED', 'Patient died'),
  intensivePhase: answer('TB_INTENSIVE_PHASE', 'Intensive phase'),
  continuationPhase: answer('TB_CONTINUATION_PHASE', 'Continuation phase'),
  treatmentComplete: answer('TREATMENT_COMPLETE', 'Treatment complete'),
  cured: answer('CURED', 'Cured'),

  // ---- a coded person attribute ------------------------------------------------------
  civilStatus: concept('CIVIL_STATUS', 'Civil status', 'coded', 'question', { answers: ['married', 'single', 'divorced', 'widowed'] }),
  married: answer('MARRIED', 'Married'),
  single: answer('NEVER_MARRIED', 'Never married'),
  divorced: answer('DIVORCED', 'Divorced'),
  widowed: answer('WIDOWED', 'Widowed'),
} as const satisfies Record<string, ConceptItem>;
