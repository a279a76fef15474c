// Renders OpenMRS REST representations (ref, default, full, custom) from the
// declarative tables (tables.ts) and atomsync's internal `full` form, loaded in
// batches by RepLoader. What every resource shares lives here: the ref form
// (uuid, display, voided/retired when true, a self link), links, resourceVersion
// (not on refs), auditInfo (retire/void data only when retired/voided), and
// OpenMRS's display strings and computed values (an obs's polymorphic `value`). A table
// may describe its own ref (a program's), a subclass's properties (a drug order's) and
// the `type` discriminator OpenMRS writes after the links of such a resource.
import { restUri } from '../rest-format.ts';
import type { ResourceName } from '../resources.ts';
import { isLevel } from './custom-spec.ts';
import type { Level, Rep } from './custom-spec.ts';
import { HHmm, ageOn, ddMMyyyy, ddMMyyyyHHmm, javaDecimal, javaDouble, javaIntCast, yyyyMMdd } from './java-format.ts';
import type { RepLoader } from './loader.ts';
import type { Prop, Table } from './table-types.ts';
import { TABLES } from './tables.ts';

type Obj = Record<string, unknown>;

export interface RenderContext {
  loader: RepLoader;
  baseUrl: string;
  /** Whether the reader may read a registry resource beyond its ref (publisher/rights.ts). */
  mayRead: (resource: string) => boolean;
  /** Today, YYYY-MM-DD (UTC): a person's age. */
  today: string;
}

/** One row to render: an internal representation or one of its part rows. */
interface Node {
  table: Table;
  row: Obj;
  /** OpenMRS's address of this object. */
  uri: string;
  /** The registry resource it was loaded from (what rights are checked against). */
  resource: string;
  /** The resource a sub-resource belongs to (a patient state's enrolment). */
  owner?: Node;
}

/** A custom property that the resource does not have. */
export class UnknownPropertyError extends Error {
  override name = 'UnknownPropertyError';
  readonly status = 400;
  constructor(
    readonly resource: string,
    readonly property: string,
    readonly known: string[],
  ) {
    super(`${resource} has no property "${property.slice(0, 64)}"; it has ${known.join(', ')}`);
  }
}

/** The table of a top-level resource that this database offers, or undefined. */
export function offeredTable(name: string, loader: RepLoader): Table | undefined {
  const t = TABLES[name];
  if (!t || t.sub || t.name !== name || !t.load?.some((l) => loader.offers(l.resource))) return undefined;
  return t;
}

/** Checks a custom rep against the tables before anything is loaded, so a bad spec is a 400 however deep it names. */
export function checkRep(table: Table, rep: Rep): void {
  if (isLevel(rep)) return;
  for (const c of rep.custom) {
    const p = propNamed(table, c.name);
    if (!p) throw unknownProperty(table, c.name);
    const to = targetTable(p);
    if (to && !isLevel(c.rep)) checkRep(to, c.rep);
  }
}

/** The representation of a top-level resource, or null when there is none with that uuid. */
export async function renderResource(name: string, uuid: string, rep: Rep, ctx: RenderContext): Promise<Obj | null> {
  const node = await loadNode(name, uuid, ctx);
  return node ? render(node, rep, ctx) : null;
}

async function loadNode(name: string, uuid: string, ctx: RenderContext): Promise<Node | null> {
  const table = TABLES[name];
  for (const l of table?.load ?? []) {
    if (!ctx.loader.offers(l.resource)) continue;
    const rep = await ctx.loader.rep(l.resource as ResourceName, uuid);
    const row = rep && l.part ? (rep[l.part] as Obj | null) : rep;
    if (row) return { table, row, uri: restUri(ctx.baseUrl, table.name, String(row.uuid)), resource: l.resource };
  }
  return null;
}

async function render(node: Node, rep: Rep, ctx: RenderContext): Promise<Obj> {
  const t = node.table;
  if (rep === 'ref' && !t.ref) return renderRef(node, ctx);
  const props = rep === 'ref' ? t.ref! : isLevel(rep) ? levelProps(node, rep) : customProps(t, rep.custom);
  const values = await Promise.all(props.map((p) => value(node, p, ctx)));
  const out: Obj = {};
  props.forEach((p, i) => {
    if (values[i] !== OMIT) out[p.name] = values[i];
  });
  if (t.converter) return out;
  const links =
    rep === 'ref' ? t.refLinks ?? ['self']
    : isLevel(rep) ? (rep === 'full' ? ['self'] : t.defaultLinks ?? ['self', 'full'])
    : rep.links ? ['self', 'default'] : [];
  if (links.length) out.links = links.map((rel) => link(node, rel));
  addType(node, out);
  if (rep !== 'ref') out.resourceVersion = t.version;
  return out;
}

/** The properties of a level, the subclass's when the row is one (a drug order). */
function levelProps(node: Node, level: 'default' | 'full'): Prop[] {
  const t = node.table;
  const variant = t.typeProp ? t.variants?.[String(node.row[t.typeProp])] : undefined;
  return (variant ?? t)[level];
}

/** BaseDelegatingResource.maybeDecorateWithType: a resource with subclass handlers says which one, refs included. */
function addType(node: Node, out: Obj): void {
  if (node.table.typeProp) out.type = node.row[node.table.typeProp] ?? null;
}

async function renderRef(node: Node, ctx: RenderContext): Promise<Obj> {
  const out: Obj = { uuid: node.row.uuid, display: await display(node, ctx) };
  if (node.row.voided === true) out.voided = true;
  if (node.row.retired === true) out.retired = true;
  out.links = [link(node, 'self')];
  addType(node, out);
  return out;
}

function link(node: Node, rel: string): Obj {
  const uri = rel === 'self' ? node.uri : `${node.uri}?v=${rel}`;
  return { rel, uri, resourceAlias: node.table.name };
}

function customProps(table: Table, custom: Array<{ name: string; rep: Rep }>): Prop[] {
  return custom.map((c) => {
    const p = propNamed(table, c.name);
    if (!p) throw unknownProperty(table, c.name);
    return { ...p, rep: c.rep as Level, custom: c.rep } as Prop & { custom: Rep };
  });
}

/** Every property a table names, at any level or in any subclass. */
const allProps = (t: Table): Prop[] => [
  ...t.full,
  ...t.default,
  ...(t.ref ?? []),
  ...Object.values(t.variants ?? {}).flatMap((v) => [...v.full, ...v.default]),
];

const unknownProperty = (t: Table, name: string) =>
  new UnknownPropertyError(t.name, name, [...new Set(allProps(t).map((x) => x.name)), 'links']);

const propNamed = (t: Table, name: string): Prop | undefined => allProps(t).find((p) => p.name === name);

/** The table an object-valued property is rendered with, for checking nested custom specs. */
function targetTable(p: Prop): Table | undefined {
  const s = p.src;
  const name =
    s.kind === 'ref' || s.kind === 'refList' ? s.to
    : s.kind === 'part' ? s.sub
    : s.kind === 'embed' ? s.as
    : s.kind === 'children' ? s.resource
    : s.kind === 'partRefs' ? s.refs[s.refs.length - 1][1]
    : s.kind === 'computed' && (s.fn === 'conceptName' || s.fn === 'conceptShortName') ? 'conceptname'
    : s.kind === 'computed' && s.fn === 'obsValue' ? 'concept'
    : undefined;
  return name ? TABLES[name] : undefined;
}

const OMIT = Symbol('omit');

/** The rep a nested object is shown at: a custom spec's own, or the property's level. */
const repOf = (p: Prop): Rep => (p as Prop & { custom?: Rep }).custom ?? p.rep;

async function value(node: Node, p: Prop, ctx: RenderContext): Promise<unknown> {
  const s = p.src;
  const row = node.row;
  switch (s.kind) {
    case 'field':
      if (s.optional && !(s.from in row)) return OMIT;
      return row[s.from] ?? (s.orEmpty ? '' : null);
    case 'formatValue': {
      const v = row[s.from];
      return v && typeof v === 'object' ? refValue(v, refResource(v) ?? '', repOf(p), ctx) : v ?? null;
    }
    case 'codedOrFreeText':
      return codedOrFreeText(row, s.coded, s.nonCoded, repOf(p), ctx);
    case 'object': {
      const out: Obj = {};
      const values = await Promise.all(s.props.map((q) => value(node, q, ctx)));
      s.props.forEach((q, i) => (out[q.name] = values[i]));
      return out;
    }
    case 'owner':
      return node.owner ? render(node.owner, repOf(p), ctx) : null;
    case 'constant':
      return Array.isArray(s.value) ? [] : s.value;
    case 'display':
      return display(node, ctx);
    case 'lifecycle':
      return row.voided ?? row.retired ?? false;
    case 'audit':
      return auditInfo(row);
    case 'ref':
      return refValue(row[s.from], s.to, repOf(p), ctx);
    case 'refList':
      return Promise.all(((row[s.from] as unknown[] | undefined) ?? []).map((r) => refValue(r, s.to, repOf(p), ctx)));
    case 'embed': {
      const inner = row[s.from] as Obj | null;
      if (!inner) return null;
      const table = TABLES[s.as];
      return render({ table, row: inner, uri: restUri(ctx.baseUrl, table.name, String(inner.uuid)), resource: node.resource }, repOf(p), ctx);
    }
    case 'part': {
      const table = TABLES[s.sub];
      let rows = ((row[s.from] as Obj[] | undefined) ?? []).filter((r) => !s.active || r.voided !== true);
      if (s.pick) rows = preferred(rows);
      const out = await Promise.all(rows.map((r) => subNode(node, table, r, ctx)).map((n) => render(n, repOf(p), ctx)));
      return s.pick ? out[0] ?? null : out;
    }
    case 'partRefs': {
      const rows = [...((row[s.from] as Obj[] | undefined) ?? [])].sort((a, b) => weight(a) - weight(b));
      const out = await Promise.all(
        rows.map((r) => {
          const [from, to] = s.refs.find(([f]) => r[f] != null) ?? [];
          return from ? refValue(r[from], to!, repOf(p), ctx) : null;
        }),
      );
      return out.filter((x) => x !== null);
    }
    case 'children': {
      const empty = s.nullWhenEmpty ? null : [];
      if (!ctx.loader.offers(s.resource) || !ctx.mayRead(s.resource)) return empty;
      const uuids = await ctx.loader.children({ resource: s.resource, via: s.via, active: s.active, notInGroup: s.notInGroup }, String(row.uuid));
      const out = (await Promise.all(uuids.map((u) => renderResource(s.resource, u, repOf(p), ctx)))).filter((x) => x !== null);
      return out.length === 0 ? empty : out;
    }
    case 'computed':
      return COMPUTED[s.fn](node, repOf(p), ctx);
  }
}

const weight = (r: Obj) => (typeof r.sortWeight === 'number' ? r.sortWeight : Number.MAX_VALUE);

function subNode(owner: Node, table: Table, row: Obj, _ctx: RenderContext): Node {
  return { table, row, uri: `${owner.uri}/${table.name}/${String(row.uuid)}`, resource: owner.resource, owner };
}

/** The resource an internal reference's self link names (a person attribute's location). */
function refResource(v: unknown): string | undefined {
  const links = (v as Obj).links;
  return Array.isArray(links) ? ((links[0] as Obj | undefined)?.resourceAlias as string | undefined) : undefined;
}

/**
 * CodedOrFreeTextConverter: only the keys with a value, the concept at the property's level
 * (a custom spec shows it at default). specificName (the coded name chosen) is not synced.
 */
async function codedOrFreeText(row: Obj, coded: string[], nonCoded: string, rep: Rep, ctx: RenderContext): Promise<Obj> {
  const out: Obj = {};
  const c = coded.map((k) => row[k]).find((x) => x != null);
  if (c != null) out.coded = await refValue(c, 'concept', isLevel(rep) ? rep : 'default', ctx);
  if (row[nonCoded] != null) out.nonCoded = row[nonCoded];
  return out;
}

/** OpenMRS's getPersonName()/getPersonAddress(): the first preferred row, else the first. */
function preferred(rows: Obj[]): Obj[] {
  const p = rows.find((r) => r.preferred === true) ?? rows[0];
  return p ? [p] : [];
}

/**
 * A reference shown at `rep`. The referenced resource is loaded for its display and voided or
 * retired flag; one the reader may not read is shown as a ref whatever `rep` asks, as before
 * this layer existed; one this database does not offer keeps the internal label.
 */
async function refValue(internal: unknown, to: string, rep: Rep, ctx: RenderContext): Promise<unknown> {
  if (internal == null || typeof internal !== 'object') return null;
  const r = internal as Obj;
  const uuid = String(r.uuid);
  const node = await loadNode(to, uuid, ctx);
  if (!node) return { uuid, display: r.display ?? '', links: [{ rel: 'self', uri: restUri(ctx.baseUrl, to, uuid), resourceAlias: to }] };
  return render(node, rep !== 'ref' && !ctx.mayRead(node.resource) ? 'ref' : rep, ctx);
}

function auditInfo(row: Obj): Obj {
  const a = (row.auditInfo ?? {}) as Obj;
  const out: Obj = { creator: a.creator ?? null, dateCreated: a.dateCreated ?? null, changedBy: a.changedBy ?? null, dateChanged: a.dateChanged ?? null };
  if (row.retired === true) Object.assign(out, { retiredBy: a.retiredBy ?? null, dateRetired: a.dateRetired ?? null, retireReason: a.retireReason ?? null });
  if (row.voided === true) Object.assign(out, { voidedBy: a.voidedBy ?? null, dateVoided: a.dateVoided ?? null, voidReason: a.voidReason ?? null });
  return out;
}

// ---- display strings ----------------------------------------------------------------------

const labelOf = (v: unknown): string | null => (v && typeof v === 'object' ? ((v as Obj).display as string | null) ?? null : null);

/** PersonName.getFullName() in OpenMRS's default (short) format: given, middle and family names. */
function fullName(n: Obj | undefined): string {
  if (!n) return '';
  return [n.givenName, n.middleName, n.familyName].filter((x) => typeof x === 'string' && x.trim() !== '').join(' ');
}

async function display(node: Node, ctx: RenderContext): Promise<string | null> {
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
    case 'visit': {
      // VisitResource1_9.getDisplayString: "{type} @ {location} - {start, dd/MM/yyyy HH:mm}", "?" for what is missing.
      const loc = labelOf(row.location);
      return `${labelOf(row.visitType) ?? '?'} ${loc === null ? '?' : `@ ${loc}`} - ${ddMMyyyyHHmm(row.startDatetime as string) ?? '?'}`;
    }
    case 'encounter':
      return `${labelOf(row.encounterType) ?? '?'} ${ddMMyyyy(row.encounterDatetime as string) ?? '?'}`;
    case 'obs': {
      const concept = labelOf(row.concept);
      return concept === null ? '' : `${concept}: ${await obsValueAsString(row, ctx, 0)}`;
    }
    case 'encounterProvider': {
      const provider = row.provider ? await ctx.loader.rep('provider', String((row.provider as Obj).uuid)) : null;
      const name = (provider?.name as string | null) ?? null;
      const role = labelOf(row.encounterRole);
      return role === null ? name : `${name}: ${role}`;
    }
    case 'personAttribute': {
      // PersonAttributeResource1_8's "{type} = {value}", with the hydrated object's display for a Location, Concept...
      const v = row.value;
      const shown = v && typeof v === 'object' ? labelOf(v) ?? '' : v == null ? '' : String(v);
      const type = labelOf(row.attributeType);
      return type === null ? shown : `${type} = ${shown}`;
    }
    case 'typedAttribute': {
      const type = labelOf(row.attributeType);
      return type === null ? '' : `${type}: ${row.value == null ? 'null' : String(row.value)}`;
    }
    case 'order':
      return orderDisplay(row);
    case 'relationship': {
      const [a, b, type] = await Promise.all([
        givenName(row.personA, ctx),
        givenName(row.personB, ctx),
        row.relationshipType && ctx.loader.offers('relationshiptype') ? ctx.loader.rep('relationshiptype', String((row.relationshipType as Obj).uuid)) : null,
      ]);
      return `${a} is the ${(type?.aIsToB as string | null | undefined) ?? 'NULL'} of ${b}`;
    }
  }
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

// ---- obs values ---------------------------------------------------------------------------

/** What an obs's question concept says about its value: the datatype's HL7 code and ConceptNumeric.allowDecimal. */
async function conceptFacts(obs: Obj, ctx: RenderContext): Promise<{ hl7: string | null; allowDecimal: boolean | null }> {
  const c = obs.concept as Obj | null;
  const concept = c && ctx.loader.offers('concept') ? await ctx.loader.rep('concept', String(c.uuid)) : null;
  const dt = concept?.datatype as Obj | null | undefined;
  const datatype = dt && ctx.loader.offers('conceptdatatype') ? await ctx.loader.rep('conceptdatatype', String(dt.uuid)) : null;
  const allow = concept?.allowDecimal;
  return { hl7: (datatype?.hl7Abbreviation as string | null) ?? null, allowDecimal: typeof allow === 'boolean' ? allow : null };
}

/** Obs.getValueAsString(Locale.ENGLISH) (OpenMRS 2.x), with the server in UTC. */
async function obsValueAsString(obs: Obj, ctx: RenderContext, depth: number): Promise<string> {
  const { hl7, allowDecimal } = await conceptFacts(obs, ctx);
  const num = obs.valueNumeric as number | null;
  const dt = obs.valueDatetime as string | null;
  const complex = obs.valueComplex as string | null;
  switch (hl7) {
    case 'BIT':
      return num == null ? '' : String(num === 1);
    case 'CWE':
      return labelOf(obs.valueCoded) ?? '';
    case 'NM':
    case 'SN':
      if (num == null) return '';
      if (allowDecimal === false) return javaIntCast(num);
      break; // as OpenMRS does: on to the datatype-less rules below
    case 'DT':
      return ddMMyyyy(dt) ?? '';
    case 'TM':
      return HHmm(dt) ?? '';
    case 'TS':
      return ddMMyyyyHHmm(dt) ?? '';
    case 'ST':
      return String(obs.valueText ?? null); // Java's string concatenation writes a missing text as "null"
    case 'ED':
      if (complex != null) return complexTitle(complex);
  }
  if (num != null) return javaDecimal(num);
  if (obs.valueCoded != null) return ''; // OpenMRS shows the coded name here only when valueCodedName is set, which is not synced
  if (dt != null) return ddMMyyyy(dt) ?? '';
  if (obs.valueText != null) return String(obs.valueText);
  if (depth < 4 && ctx.loader.offers('obs')) {
    const members = await ctx.loader.children({ resource: 'obs', via: 'obsGroup', active: true }, String(obs.uuid));
    if (members.length) {
      const reps = await Promise.all(members.map((u) => ctx.loader.rep('obs', u)));
      const parts = await Promise.all(reps.filter((r): r is Obj => r !== null).map((r) => obsValueAsString(r, ctx, depth + 1)));
      return parts.join(', ');
    }
  }
  return complex != null ? complexTitle(complex) : '';
}

/** The title part of a complex value: before the first '|'. */
const complexTitle = (v: string) => v.split('|').find((x) => x !== '')?.trim() ?? '';

/** ObsResource1_8.getValue, with 1_11's whole numbers for concepts that allow no decimals. */
async function obsValue(node: Node, rep: Rep, ctx: RenderContext): Promise<unknown> {
  const obs = node.row;
  const { hl7, allowDecimal } = await conceptFacts(obs, ctx);
  if (hl7 === 'ED') return { display: 'raw file', links: { rel: 'self', uri: `${node.uri}/value` } };
  if (ctx.loader.offers('obs')) {
    const members = await ctx.loader.children({ resource: 'obs', via: 'obsGroup', active: false }, String(obs.uuid));
    if (members.length) return null;
  }
  if (obs.valueDatetime != null) return hl7 === 'DT' ? yyyyMMdd(obs.valueDatetime as string) : obs.valueDatetime;
  if (obs.valueDrug != null) return refValue(obs.valueDrug, 'drug', rep, ctx);
  if (obs.valueCoded != null) return refValue(obs.valueCoded, 'concept', rep, ctx);
  if (obs.valueComplex != null) return obs.valueComplex;
  if (obs.valueText != null) return obs.valueText;
  const num = obs.valueNumeric as number | null;
  if (num != null) return allowDecimal === false ? Math.trunc(num) : num;
  return null;
}

// ---- other computed properties -------------------------------------------------------------

/** Concept.getName(): the preferred English name, else a fully specified one, else any, as a concept name. */
function conceptNameRow(row: Obj, type?: string): Obj | undefined {
  const names = ((row.names as Obj[] | undefined) ?? []).filter((n) => n.voided !== true && (!type || n.conceptNameType === type));
  const en = (n: Obj) => typeof n.locale === 'string' && n.locale.toLowerCase().startsWith('en');
  return (
    names.find((n) => en(n) && n.localePreferred === true) ??
    names.find((n) => en(n) && n.conceptNameType === 'FULLY_SPECIFIED') ??
    names.find((n) => en(n)) ??
    names.find((n) => n.localePreferred === true) ??
    names[0]
  );
}

function formField(v: unknown, part: 'path' | 'namespace'): string | null {
  if (typeof v !== 'string' || v.trim() === '') return (v as string | null) ?? null;
  const sep = v.indexOf('^');
  if (part === 'namespace') return sep <= 0 ? null : v.slice(0, sep);
  if (sep < 0) return v;
  return sep === v.length - 1 ? null : v.slice(sep + 1);
}

const COMPUTED: Record<string, (node: Node, rep: Rep, ctx: RenderContext) => unknown> = {
  age: (n, _r, ctx) => ageOn(n.row.birthdate as string, n.row.deathDate as string, ctx.today),
  obsValue: (n, rep, ctx) => obsValue(n, rep, ctx),
  formFieldPath: (n) => formField(n.row.formFieldPath, 'path'),
  formFieldNamespace: (n) => formField(n.row.formFieldPath, 'namespace'),
  conceptName: (n, rep, ctx) => {
    const name = conceptNameRow(n.row);
    return name ? render(subNode(n, TABLES.conceptname, name, ctx), rep, ctx) : null;
  },
  conceptShortName: (n, rep, ctx) => {
    const name = conceptNameRow(n.row, 'SHORT');
    return name ? render(subNode(n, TABLES.conceptname, name, ctx), rep, ctx) : null;
  },
};
