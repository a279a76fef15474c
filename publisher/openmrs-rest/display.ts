// OpenMRS's display strings, by the table's display rule (DisplayRule in table-types.ts),
// each written as the Java resource's getDisplayString writes it.
import { javaDouble, ddMMyyyy, ddMMyyyyHHmm } from './java-format.ts';
import { obsValueAsString } from './obs-value.ts';
import { labelOf, loadNode, preferred } from './render-node.ts';
import type { Node, Obj, RenderContext } from './render-node.ts';

/** PersonName.getFullName() in OpenMRS's default (short) format: given, middle and family names. */
function fullName(n: Obj | undefined): string {
  if (!n) return '';
  return [n.givenName, n.middleName, n.familyName].filter((x) => typeof x === 'string' && x.trim() !== '').join(' ');
}

export async function display(node: Node, ctx: RenderContext): Promise<string | null> {
  const row = node.row;
  switch (node.table.display) {
    case 'label':
      return (row.display as string | null) ?? '';
    case 'name':
      return (row.name as string | null) ?? '';
    case 'uuid':
      return String(row.uuid);
    case 'personName':
      return Array.isArray(row.names) ? fullName(preferred((row.names as Obj[]).filter((n) => n.voided !== true))[0]) : fullName(row);
    case 'person':
      return fullName(preferred(((row.names as Obj[]) ?? []).filter((n) => n.voided !== true))[0]);
    case 'address1':
      return (row.address1 as string | null) ?? null;
    case 'visit':
      return visitDisplay(row);
    case 'encounter':
      return `${labelOf(row.encounterType) ?? '?'} ${ddMMyyyy(row.encounterDatetime as string) ?? '?'}`;
    case 'obs': {
      const concept = labelOf(row.concept);
      return concept === null ? '' : `${concept}: ${await obsValueAsString(row, ctx, 0)}`;
    }
    case 'encounterProvider':
      return encounterProviderDisplay(row, ctx);
    case 'personAttribute':
      return personAttributeDisplay(row);
    case 'typedAttribute': {
      const type = labelOf(row.attributeType);
      return type === null ? '' : `${type}: ${row.value == null ? 'null' : String(row.value)}`;
    }
    case 'order':
      return orderDisplay(row);
    case 'relationship':
      return relationshipDisplay(row, ctx);
  }
}

/** VisitResource1_9.getDisplayString: "{type} @ {location} - {start, dd/MM/yyyy HH:mm}", "?" for what is missing. */
function visitDisplay(row: Obj): string {
  const loc = labelOf(row.location);
  return `${labelOf(row.visitType) ?? '?'} ${loc === null ? '?' : `@ ${loc}`} - ${ddMMyyyyHHmm(row.startDatetime as string) ?? '?'}`;
}

async function encounterProviderDisplay(row: Obj, ctx: RenderContext): Promise<string | null> {
  const provider = row.provider ? await ctx.loader.rep('provider', String((row.provider as Obj).uuid)) : null;
  const name = (provider?.name as string | null) ?? null;
  const role = labelOf(row.encounterRole);
  return role === null ? name : `${name}: ${role}`;
}

/** PersonAttributeResource1_8's "{type} = {value}", with the hydrated object's display for a Location, Concept... */
function personAttributeDisplay(row: Obj): string {
  const v = row.value;
  const shown = v && typeof v === 'object' ? labelOf(v) ?? '' : v == null ? '' : String(v);
  const type = labelOf(row.attributeType);
  return type === null ? shown : `${type} = ${shown}`;
}

async function relationshipDisplay(row: Obj, ctx: RenderContext): Promise<string> {
  const [a, b, type] = await Promise.all([
    givenName(row.personA, ctx),
    givenName(row.personB, ctx),
    row.relationshipType && ctx.loader.offers('relationshiptype') ? ctx.loader.rep('relationshiptype', String((row.relationshipType as Obj).uuid)) : null,
  ]);
  return `${a} is the ${(type?.aIsToB as string | null | undefined) ?? 'NULL'} of ${b}`;
}

/** Person.getGivenName(): the preferred name's given name ("null" as Java concatenates a missing one). */
async function givenName(ref: unknown, ctx: RenderContext): Promise<string> {
  if (!ref || typeof ref !== 'object') return 'null';
  const node = await loadNode('person', String((ref as Obj).uuid), ctx);
  const names = ((node?.row.names as Obj[] | undefined) ?? []).filter((n) => n.voided !== true);
  return String(preferred(names)[0]?.givenName ?? 'null');
}

/**
 * OrderResource1_8.getDisplayString (the concept's name), and for a drug order
 * DrugOrderSubclassHandler1_10.getDisplay: "(ACTION) drug or concept", then ": " and the dosing
 * instructions as a string unless the order discontinues (Simple- or FreeTextDosingInstructions).
 */
function orderDisplay(row: Obj): string {
  const concept = labelOf(row.concept);
  if (row.type !== 'drugorder') return concept ?? '[No Concept]';
  let out = `(${String(row.action)}) ${labelOf(row.drug) ?? concept ?? ''}`;
  const instructions = row.action !== 'DISCONTINUE' ? dosingInstructions(row) : null;
  if (instructions !== null) out += `: ${instructions}`;
  return out;
}

/** DosingInstructions.getDosingInstructionsAsString(en) of the two dosing types OpenMRS ships. */
function dosingInstructions(row: Obj): string | null {
  if (row.dosingType === 'org.openmrs.FreeTextDosingInstructions') return String(row.dosingInstructions ?? 'null');
  if (row.dosingType !== 'org.openmrs.SimpleDosingInstructions') return null;
  const dose = row.dose == null ? 'null' : javaDouble(Number(row.dose));
  let s = `${dose} ${labelOf(row.doseUnits) ?? ''} ${labelOf(row.route) ?? ''} ${labelOf(row.frequency) ?? 'null'}`;
  if (row.duration != null) s += ` ${String(row.duration)} ${labelOf(row.durationUnits) ?? ''}`;
  if (row.asNeeded === true) s += row.asNeededCondition != null ? ` PRN ${String(row.asNeededCondition)}` : ' PRN';
  if (row.instructions != null) s += ` ${String(row.instructions)}`; // administrationInstructions: the order's instructions
  return s;
}
