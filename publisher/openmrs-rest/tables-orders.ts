// Property tables of orders and what they are made of, from the webservices.rest
// module's classes for OpenMRS 2.2+ (named in each comment). An order is one
// resource with subclass handlers: its `type` (order, drugorder, testorder) says
// which, and a drug or test order shows its subclass's fields on the order itself.
import type { Level } from './custom-spec.ts';
import { AUDIT, DISPLAY, UUID, constant, fields, prop, ref, retired } from './table-builders.ts';
import type { Prop, Table } from './table-types.ts';

/** OrderTypeResource1_10. Concept classes of an order type are not synced. */
const ordertype: Table = (() => {
  const head = [UUID, DISPLAY, ...fields('name', 'javaClassName'), retired, ...fields('description')];
  return {
    name: 'ordertype',
    version: '1.10',
    display: 'label',
    load: [{ resource: 'ordertype' }],
    default: [...head, constant('conceptClasses', []), ref('parent', 'ordertype', 'ref')],
    full: [...head, constant('conceptClasses', []), ref('parent', 'ordertype', 'default'), AUDIT],
  };
})();

/** CareSettingResource1_10. */
const caresetting: Table = (() => {
  const base = [UUID, ...fields('name', 'description'), retired, ...fields('careSettingType'), DISPLAY];
  return { name: 'caresetting', version: '1.10', display: 'label', load: [{ resource: 'caresetting' }], default: base, full: [...base, AUDIT] };
})();

/**
 * DrugResource1_12 (1_8's list without doseStrength, units and route, then 1_10's strength and
 * drugReferenceMaps, 1_11's ingredients; neither of those two is synced). OpenMRS maps no drug description.
 */
const drug: Table = (() => {
  const head = (rep: Level) => [DISPLAY, UUID, ...fields('name'), constant('description'), retired, ref('dosageForm', 'concept', 'ref'), ...fields('maximumDailyDose', 'minimumDailyDose'), ref('concept', 'concept', 'ref'), ...fields('combination'), ...(rep === 'full' ? [AUDIT] : [])];
  const tail = [...fields('strength'), constant('drugReferenceMaps', []), constant('ingredients', [])];
  return { name: 'drug', version: '1.12', display: 'label', load: [{ resource: 'drug' }], default: [...head('default'), ...tail], full: [...head('full'), ...tail] };
})();

/** OrderFrequencyResource1_10: its name is its concept's (OrderFrequency.getName()), as is the registry's label. */
const orderfrequency: Table = (() => {
  const name = prop('name', { kind: 'display' });
  return {
    name: 'orderfrequency',
    version: '1.10',
    display: 'label',
    load: [{ resource: 'orderfrequency' }],
    default: [UUID, DISPLAY, name, ...fields('frequencyPerDay'), retired, ref('concept', 'concept', 'ref')],
    full: [UUID, DISPLAY, name, ...fields('frequencyPerDay'), ref('concept', 'concept', 'default'), retired, AUDIT],
  };
})();

/**
 * OrderResource1_10 with 2_2's fulfillerStatus and fulfillerComment (full only; not synced). The
 * display is the concept's name (OrderResource1_8), a drug order's its own (render.ts).
 */
function orderProps(level: 'default' | 'full'): Prop[] {
  const full = level === 'full';
  return [
    UUID,
    ...fields('orderNumber', 'accessionNumber'),
    ref('patient', 'patient', 'ref'),
    ref('concept', 'concept', 'ref'),
    ...fields('action'),
    ref('careSetting', 'caresetting', full ? 'default' : 'ref'),
    ref('previousOrder', 'order', 'ref'),
    ...fields('dateActivated', 'scheduledDate', 'dateStopped', 'autoExpireDate'),
    ref('encounter', 'encounter', 'ref'),
    ref('orderer', 'provider', 'ref'),
    ref('orderReason', 'concept', 'ref'),
    ...fields('orderReasonNonCoded'),
    ref('orderType', 'ordertype', 'default'),
    ...fields('urgency', 'instructions', 'commentToFulfiller'),
    DISPLAY,
    ...(full ? [AUDIT, constant('fulfillerStatus'), constant('fulfillerComment')] : []),
  ];
}

/** DrugOrderSubclassHandler1_10 + 1_12 (drugNonCoded): the order's properties, then the drug order's. */
function drugOrderProps(level: 'default' | 'full'): Prop[] {
  const units: Level = level === 'full' ? 'default' : 'ref';
  return [
    ...orderProps(level),
    ref('drug', 'drug', 'ref'),
    ...fields('dosingType', 'dose'),
    ref('doseUnits', 'concept', units),
    ref('frequency', 'orderfrequency', 'ref'),
    ...fields('asNeeded', 'asNeededCondition', 'quantity'),
    ref('quantityUnits', 'concept', units),
    ...fields('numRefills', 'dosingInstructions', 'duration'),
    ref('durationUnits', 'concept', units),
    ref('route', 'concept', 'ref'),
    ...fields('brandName', 'dispenseAsWritten', 'drugNonCoded'),
  ];
}

/** TestOrderSubclassHandler1_10. */
function testOrderProps(level: 'default' | 'full'): Prop[] {
  return [
    ...orderProps(level),
    ref('specimenSource', 'concept', 'ref'),
    ...fields('laterality', 'clinicalHistory'),
    ref('frequency', 'orderfrequency', level === 'full' ? 'default' : 'ref'),
    ...fields('numberOfRepeats'),
  ];
}

const order: Table = {
  name: 'order',
  version: '1.10',
  display: 'order',
  load: [{ resource: 'order' }],
  typeProp: 'type',
  default: orderProps('default'),
  full: orderProps('full'),
  variants: {
    drugorder: { default: drugOrderProps('default'), full: drugOrderProps('full') },
    testorder: { default: testOrderProps('default'), full: testOrderProps('full') },
  },
};

export const ORDER_TABLES: Record<string, Table> = { ordertype, caresetting, drug, orderfrequency, order };
