// Renders OpenMRS REST representations (ref, default, full, custom) from the
// declarative tables (tables.ts) and atomsync's internal `full` form, loaded in
// batches by RepLoader. What every resource shares lives here: the ref form
// (uuid, display, voided/retired when true, a self link), links, resourceVersion
// (not on refs), and references to other resources. A table may describe its own
// ref (a program's), a subclass's properties (a drug order's) and the `type`
// discriminator OpenMRS writes after the links of such a resource. Each property's
// value is in property-value.ts, display strings in display.ts, an obs's polymorphic
// `value` in obs-value.ts, the other computed values in computed.ts.
import { restUri } from '../../shared/rest-format.ts';
import { isLevel } from './custom-spec.ts';
import type { Level, Rep } from './custom-spec.ts';
import { display } from './display.ts';
import { OMIT, value } from './property-value.ts';
import { loadNode } from './render-node.ts';
import type { Node, Obj, RenderContext } from './render-node.ts';
import type { RepLoader } from './loader.ts';
import type { Prop, Table } from './table-types.ts';
import { TABLES } from './tables.ts';

export type { RenderContext } from './render-node.ts';

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

/** A node at `rep`: its properties in the table's order, then links, type and resourceVersion. */
export async function render(node: Node, rep: Rep, ctx: RenderContext): Promise<Obj> {
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

/**
 * A reference shown at `rep`. The referenced resource is loaded for its display and voided or
 * retired flag; one the reader may not read is shown as a ref whatever `rep` asks, as before
 * this layer existed; one this database does not offer keeps the internal label.
 */
export async function refValue(internal: unknown, to: string, rep: Rep, ctx: RenderContext): Promise<unknown> {
  if (internal == null || typeof internal !== 'object') return null;
  const r = internal as Obj;
  const uuid = String(r.uuid);
  const node = await loadNode(to, uuid, ctx);
  if (!node) return { uuid, display: r.display ?? '', links: [{ rel: 'self', uri: restUri(ctx.baseUrl, to, uuid), resourceAlias: to }] };
  return render(node, rep !== 'ref' && !ctx.mayRead(node.resource) ? 'ref' : rep, ctx);
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
