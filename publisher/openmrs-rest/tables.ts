// Per OpenMRS REST resource, the properties of its default and full representations,
// in the order OpenMRS writes them, taken from the webservices.rest module's resource
// classes (omod 1.8 ... 2.2, the newest class each OpenMRS 2.x platform uses; named in
// each table's comment). `ref` is the same for most resources (render.ts); a class that
// describes its own says so in `ref`. A property the registry does not carry is a
// constant (null, false or []): the key is there, as OpenMRS clients expect it, with
// OpenMRS's value for an unset property. Orders: tables-orders.ts; programs, relationships,
// diagnoses, conditions, allergies and attribute types: tables-record.ts.
import type { Level } from './custom-spec.ts';
import { AUDIT, DISPLAY, UUID, constant, field, fields, namedMetadata, nulls, prop, ref, retired, voided } from './table-builders.ts';
import type { Table } from './table-types.ts';
import { ORDER_TABLES } from './tables-orders.ts';
import { RECORD_TABLES } from './tables-record.ts';

const ADDRESS_3_6 = nulls('address3', 'address4', 'address5', 'address6');
const ADDRESS_7_15 = nulls('address7', 'address8', 'address9', 'address10', 'address11', 'address12', 'address13', 'address14', 'address15');

// ---- metadata ---------------------------------------------------------------------------

/** ConceptDatatypeResource1_8 (2_0 adds nothing). */
const conceptdatatype = namedMetadata('conceptdatatype', '1.8', ['hl7Abbreviation']);
/** ConceptClassResource1_8. */
const conceptclass = namedMetadata('conceptclass');
/** VisitTypeResource1_9. */
const visittype = namedMetadata('visittype', '1.9');
/** EncounterTypeResource1_8. */
const encountertype = namedMetadata('encountertype');
/** EncounterRoleResource1_9/1_11. */
const encounterrole = namedMetadata('encounterrole');

/** PatientIdentifierTypeResource2_0: 1_8's list without checkDigit (full lists validator twice; a map keeps the first). */
const patientidentifiertype: Table = (() => {
  const base = [UUID, DISPLAY, ...fields('name', 'description', 'format', 'formatDescription', 'required', 'validator', 'locationBehavior', 'uniquenessBehavior'), retired];
  return { name: 'patientidentifiertype', version: '2.0', display: 'label', load: [{ resource: 'patientidentifiertype' }], default: base, full: [...base, AUDIT] };
})();

/** LocationResource1_8 + 1_9 (attributes) + 2_0 (address7-15). */
const location: Table = (() => {
  const head = [UUID, DISPLAY, ...fields('name', 'description', 'address1'), constant('address2'), ...fields('cityVillage', 'stateProvince', 'country', 'postalCode', 'latitude', 'longitude', 'countyDistrict'), ...ADDRESS_3_6];
  const tags = (rep: Level) => prop('tags', { kind: 'refList', from: 'tags', to: 'locationtag' }, rep);
  const children = (rep: Level) => prop('childLocations', { kind: 'children', resource: 'location', via: 'parentLocation', active: false }, rep);
  const attributes = (rep: Level) => prop('attributes', { kind: 'part', from: 'attributes', sub: 'locationattribute', active: true }, rep);
  return {
    name: 'location',
    version: '2.0',
    display: 'label',
    load: [{ resource: 'location' }],
    default: [...head, tags('ref'), ref('parentLocation', 'location', 'ref'), children('ref'), retired, attributes('ref'), ...ADDRESS_7_15],
    full: [...head, tags('default'), ref('parentLocation', 'location', 'default'), children('default'), retired, AUDIT, attributes('default'), ...ADDRESS_7_15],
  };
})();

/** ConceptResource1_8 (default), its fullRepresentationDescription with 1_11's numeric fields, 2_0 (attributes). */
const concept: Table = (() => {
  const answers = (rep: Level) => prop('answers', { kind: 'partRefs', from: 'conceptAnswers', refs: [['answerDrug', 'drug'], ['answerConcept', 'concept']] }, rep);
  const setMembers = (rep: Level) => prop('setMembers', { kind: 'partRefs', from: 'conceptSets', refs: [['concept', 'concept']] }, rep);
  const names = (rep: Level) => prop('names', { kind: 'part', from: 'names', sub: 'conceptname' }, rep);
  const numeric = ['hiNormal', 'hiAbsolute', 'hiCritical', 'lowNormal', 'lowAbsolute', 'lowCritical', 'units', 'allowDecimal', 'displayPrecision'].map((n) => field(n, n, true));
  const name = prop('name', { kind: 'computed', fn: 'conceptName' });
  return {
    name: 'concept',
    version: '2.0',
    display: 'label',
    load: [{ resource: 'concept' }],
    default: [UUID, DISPLAY, name, ref('datatype', 'conceptdatatype', 'ref'), ref('conceptClass', 'conceptclass', 'ref'), field('set'), field('version'), retired, names('ref'), constant('descriptions', []), constant('mappings', []), answers('ref'), setMembers('ref'), constant('attributes', [])],
    full: [UUID, DISPLAY, name, ref('datatype', 'conceptdatatype', 'default'), ref('conceptClass', 'conceptclass', 'default'), field('set'), field('version'), retired, names('default'), constant('descriptions', []), constant('mappings', []), answers('default'), setMembers('default'), prop('shortName', { kind: 'computed', fn: 'conceptShortName' }), AUDIT, ...numeric, constant('attributes', [])],
  };
})();

/** ConceptNameResource1_9 (sub-resource `name` of a concept). */
const conceptname: Table = {
  name: 'name',
  version: '1.9',
  display: 'name',
  sub: true,
  default: [DISPLAY, UUID, ...fields('name', 'locale', 'localePreferred', 'conceptNameType')],
  full: [DISPLAY, UUID, ...fields('name', 'locale', 'localePreferred', 'conceptNameType'), AUDIT],
};

/** ProviderResource1_9: provider attributes are not synced. */
const provider: Table = {
  name: 'provider',
  version: '1.9',
  display: 'label',
  load: [{ resource: 'provider' }],
  default: [UUID, DISPLAY, ref('person', 'person', 'ref'), field('identifier'), constant('attributes', []), retired],
  full: [UUID, DISPLAY, ref('person', 'person', 'default'), field('identifier'), constant('attributes', []), retired, AUDIT],
};

// ---- people ---------------------------------------------------------------------------

/** PersonResource1_8 + 1_10 (birthtime) + 1_11 (deathdateEstimated) + 2_2 (causeOfDeathNonCoded, full only). */
const person: Table = (() => {
  const head = [UUID, DISPLAY, ...fields('gender'), prop('age', { kind: 'computed', fn: 'age' }), ...fields('birthdate', 'birthdateEstimated', 'dead', 'deathDate')];
  const preferred = (name: string, from: string, sub: string, rep: Level) => prop(name, { kind: 'part', from, sub, active: true, pick: 'preferred' }, rep);
  const list = (name: string, sub: string, rep: Level) => prop(name, { kind: 'part', from: name, sub, active: true }, rep);
  const tail = [constant('birthtime'), constant('deathdateEstimated', false)];
  return {
    name: 'person',
    version: '1.11',
    display: 'personName',
    // A person who is not a patient is its own resource once the registry has it; a patient's is its `person` part.
    load: [{ resource: 'person' }, { resource: 'patient', part: 'person' }],
    default: [...head, ref('causeOfDeath', 'concept', 'ref'), preferred('preferredName', 'names', 'personname', 'ref'), preferred('preferredAddress', 'addresses', 'personaddress', 'ref'), list('attributes', 'personattribute', 'ref'), voided, ...tail],
    full: [...head, ref('causeOfDeath', 'concept', 'default'), preferred('preferredName', 'names', 'personname', 'default'), preferred('preferredAddress', 'addresses', 'personaddress', 'default'), list('names', 'personname', 'default'), list('addresses', 'personaddress', 'default'), list('attributes', 'personattribute', 'default'), voided, AUDIT, ...tail, constant('causeOfDeathNonCoded')],
  };
})();

/** PersonNameResource1_8/2_0/2_1. */
const personname: Table = {
  name: 'name',
  version: '1.8',
  display: 'personName',
  sub: true,
  default: [DISPLAY, UUID, ...fields('givenName', 'middleName', 'familyName', 'familyName2'), voided],
  full: [DISPLAY, UUID, ...fields('givenName', 'middleName', 'familyName', 'familyName2', 'preferred', 'prefix', 'familyNamePrefix', 'familyNameSuffix', 'degree'), voided, AUDIT],
};

/** PersonAddressResource1_8 + 2_0 (address7-15). Full lists latitude and longitude twice; a map keeps the first. */
const personaddress: Table = {
  name: 'address',
  version: '2.0',
  display: 'address1',
  sub: true,
  default: [DISPLAY, UUID, ...fields('preferred', 'address1', 'address2', 'cityVillage', 'stateProvince', 'country', 'postalCode', 'countyDistrict'), ...ADDRESS_3_6, ...fields('startDate', 'endDate', 'latitude', 'longitude'), voided, ...ADDRESS_7_15],
  full: [DISPLAY, UUID, ...fields('preferred', 'address1', 'address2', 'cityVillage', 'stateProvince', 'country', 'postalCode', 'latitude', 'longitude', 'countyDistrict'), ...ADDRESS_3_6, ...fields('startDate', 'endDate'), voided, AUDIT, ...ADDRESS_7_15],
};

/**
 * PersonAttributeResource1_8: `value` is the text, or the hydrated object's ref when the type's
 * format makes it a Location, Concept...; `hydratedObject` (full) that object at default.
 */
const personattribute: Table = (() => {
  const value = prop('value', { kind: 'formatValue', from: 'value' }, 'ref');
  return {
    name: 'attribute',
    version: '1.8',
    display: 'personAttribute',
    sub: true,
    default: [DISPLAY, UUID, value, ref('attributeType', 'personattributetype', 'ref'), voided],
    full: [DISPLAY, UUID, value, ref('attributeType', 'personattributetype', 'full'), voided, AUDIT, prop('hydratedObject', { kind: 'formatValue', from: 'value' })],
  };
})();

/** PatientIdentifierResource1_8. */
const patientidentifier: Table = {
  name: 'identifier',
  version: '1.8',
  display: 'label',
  sub: true,
  default: [DISPLAY, UUID, field('identifier'), ref('identifierType', 'patientidentifiertype', 'ref'), ref('location', 'location', 'ref'), field('preferred'), voided],
  full: [DISPLAY, UUID, field('identifier'), ref('identifierType', 'patientidentifiertype', 'default'), ref('location', 'location', 'default'), field('preferred'), voided, AUDIT],
};

/** PatientResource1_8/1_9: the person is `new Person(patient)`, shown as a person resource. */
const patient: Table = {
  name: 'patient',
  version: '1.8',
  display: 'label',
  load: [{ resource: 'patient' }],
  default: [UUID, DISPLAY, prop('identifiers', { kind: 'part', from: 'identifiers', sub: 'patientidentifier', active: true }, 'ref'), prop('person', { kind: 'embed', from: 'person', as: 'person' }, 'default'), voided],
  full: [UUID, DISPLAY, prop('identifiers', { kind: 'part', from: 'identifiers', sub: 'patientidentifier', active: true }, 'default'), prop('person', { kind: 'embed', from: 'person', as: 'person' }, 'full'), voided, AUDIT],
};

// ---- clinical -------------------------------------------------------------------------

/** VisitResource1_9. */
const visit: Table = (() => {
  const head = [UUID, DISPLAY, ref('patient', 'patient', 'ref'), ref('visitType', 'visittype', 'ref'), ref('indication', 'concept', 'ref'), ref('location', 'location', 'ref'), ...fields('startDatetime', 'stopDatetime')];
  const encounters = (rep: Level) => prop('encounters', { kind: 'children', resource: 'encounter', via: 'visit', active: true }, rep);
  const attributes = (rep: Level) => prop('attributes', { kind: 'part', from: 'attributes', sub: 'visitattribute', active: true }, rep);
  return {
    name: 'visit',
    version: '1.9',
    display: 'visit',
    load: [{ resource: 'visit' }],
    default: [...head, encounters('ref'), attributes('ref'), voided],
    full: [...head, encounters('default'), attributes('default'), voided, AUDIT],
  };
})();

/** EncounterResource1_8 + 1_9 (visit, encounterProviders instead of provider) + 2_2 (diagnoses, at default). No forms are synced. */
const encounter: Table = (() => {
  const obs = (rep: Level) => prop('obs', { kind: 'children', resource: 'obs', via: 'encounter', active: true, notInGroup: 'obsGroup' }, rep);
  const orders = (rep: Level) => prop('orders', { kind: 'children', resource: 'order', via: 'encounter', active: true }, rep);
  const providers = (rep: Level) => prop('encounterProviders', { kind: 'part', from: 'encounterProviders', sub: 'encounterprovider', active: true }, rep);
  const diagnoses = prop('diagnoses', { kind: 'children', resource: 'patientdiagnoses', via: 'encounter', active: true });
  return {
    name: 'encounter',
    version: '2.2',
    display: 'encounter',
    load: [{ resource: 'encounter' }],
    default: [UUID, DISPLAY, field('encounterDatetime'), ref('patient', 'patient', 'ref'), ref('location', 'location', 'ref'), constant('form'), ref('encounterType', 'encountertype', 'ref'), obs('ref'), orders('ref'), voided, ref('visit', 'visit', 'ref'), providers('ref'), diagnoses],
    full: [UUID, DISPLAY, field('encounterDatetime'), ref('patient', 'patient', 'ref'), ref('location', 'location', 'default'), constant('form'), ref('encounterType', 'encountertype', 'default'), obs('default'), orders('default'), voided, AUDIT, ref('visit', 'visit', 'default'), providers('default'), diagnoses],
  };
})();

/** EncounterProviderResource1_9: its default representation has no display and only a `full` link. */
const encounterprovider: Table = {
  name: 'encounterprovider',
  version: '1.9',
  display: 'encounterProvider',
  sub: true,
  defaultLinks: ['full'],
  default: [UUID, ref('provider', 'provider', 'ref'), ref('encounterRole', 'encounterrole', 'ref'), voided],
  full: [UUID, ref('provider', 'provider', 'default'), ref('encounterRole', 'encounterrole', 'default'), voided, AUDIT],
};

/** ObsResource1_8 + 1_11 (formFieldPath, formFieldNamespace) + 2_1 (status, interpretation). */
const obs: Table = (() => {
  const members = (rep: Level) => prop('groupMembers', { kind: 'children', resource: 'obs', via: 'obsGroup', active: true, nullWhenEmpty: true }, rep);
  const value = prop('value', { kind: 'computed', fn: 'obsValue' });
  const tail = [field('valueModifier'), prop('formFieldPath', { kind: 'computed', fn: 'formFieldPath' }), prop('formFieldNamespace', { kind: 'computed', fn: 'formFieldNamespace' }), ...fields('status', 'interpretation')];
  return {
    name: 'obs',
    version: '2.1',
    display: 'obs',
    load: [{ resource: 'obs' }],
    default: [UUID, DISPLAY, ref('concept', 'concept', 'ref'), ref('person', 'person', 'ref'), field('obsDatetime'), field('accessionNumber'), ref('obsGroup', 'obs', 'ref'), constant('valueCodedName'), members('default'), field('comment'), ref('location', 'location', 'ref'), ref('order', 'order', 'ref'), ref('encounter', 'encounter', 'ref'), voided, value, ...tail],
    full: [UUID, DISPLAY, ref('concept', 'concept', 'default'), ref('person', 'person', 'ref'), field('obsDatetime'), field('accessionNumber'), ref('obsGroup', 'obs', 'default'), constant('valueCodedName'), members('full'), field('comment'), ref('location', 'location', 'default'), ref('order', 'order', 'default'), ref('encounter', 'encounter', 'default'), voided, AUDIT, value, ...tail],
  };
})();

/** Every table by its key: top-level resources by REST name, sub-resources by a name of their own. */
export const TABLES: Record<string, Table> = {
  location,
  conceptdatatype,
  conceptclass,
  concept,
  conceptname,
  patientidentifiertype,
  visittype,
  encountertype,
  encounterrole,
  provider,
  person,
  personname,
  personaddress,
  personattribute,
  patientidentifier,
  patient,
  visit,
  encounter,
  encounterprovider,
  obs,
  ...ORDER_TABLES,
  ...RECORD_TABLES,
};
