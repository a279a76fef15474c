// The value of one property of a node, by where the table says it comes from
// (Source in table-types.ts): a field, a reference, a part's rows, another resource's
// rows that point at this one, or a computed value; and the auditInfo every resource shares.
import { restUri } from '../../shared/rest-format.ts';
import { isLevel } from './custom-spec.ts';
import type { Rep } from './custom-spec.ts';
import { COMPUTED } from './computed.ts';
import { display } from './display.ts';
import { refValue, render, renderResource } from './render.ts';
import { preferred, subNode } from './render-node.ts';
import type { Node, Obj, RenderContext } from './render-node.ts';
import type { Prop, Source } from './table-types.ts';
import { TABLES } from './tables.ts';

/** A property left out of the representation (an optional field the row lacks). */
export const OMIT = Symbol('omit');

/** The rep a nested object is shown at: a custom spec's own, or the property's level. */
const repOf = (p: Prop): Rep => (p as Prop & { custom?: Rep }).custom ?? p.rep;

type SourceOf<K extends Source['kind']> = Extract<Source, { kind: K }>;

export async function value(node: Node, p: Prop, ctx: RenderContext): Promise<unknown> {
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
    case 'object':
      return objectValue(node, s, ctx);
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
    case 'embed':
      return embedValue(node, s, repOf(p), ctx);
    case 'part':
      return partValue(node, s, repOf(p), ctx);
    case 'partRefs':
      return partRefsValue(row, s, repOf(p), ctx);
    case 'children':
      return childrenValue(row, s, repOf(p), ctx);
    case 'computed':
      return COMPUTED[s.fn](node, repOf(p), ctx);
  }
}

/** An object a converter builds from the same row: each of its props from this node. */
async function objectValue(node: Node, s: SourceOf<'object'>, ctx: RenderContext): Promise<Obj> {
  const out: Obj = {};
  const values = await Promise.all(s.props.map((q) => value(node, q, ctx)));
  s.props.forEach((q, i) => (out[q.name] = values[i]));
  return out;
}

/** A one-to-one part shown as a resource of its own, addressed as that resource. */
async function embedValue(node: Node, s: SourceOf<'embed'>, rep: Rep, ctx: RenderContext): Promise<unknown> {
  const inner = node.row[s.from] as Obj | null;
  if (!inner) return null;
  const table = TABLES[s.as];
  return render({ table, row: inner, uri: restUri(ctx.baseUrl, table.name, String(inner.uuid)), resource: node.resource }, rep, ctx);
}

async function partValue(node: Node, s: SourceOf<'part'>, rep: Rep, ctx: RenderContext): Promise<unknown> {
  const table = TABLES[s.sub];
  let rows = ((node.row[s.from] as Obj[] | undefined) ?? []).filter((r) => !s.active || r.voided !== true);
  if (s.pick) rows = preferred(rows);
  const out = await Promise.all(rows.map((r) => render(subNode(node, table, r), rep, ctx)));
  return s.pick ? out[0] ?? null : out;
}

async function partRefsValue(row: Obj, s: SourceOf<'partRefs'>, rep: Rep, ctx: RenderContext): Promise<unknown[]> {
  const rows = [...((row[s.from] as Obj[] | undefined) ?? [])].sort((a, b) => weight(a) - weight(b));
  const out = await Promise.all(
    rows.map((r) => {
      const [from, to] = s.refs.find(([f]) => r[f] != null) ?? [];
      return from ? refValue(r[from], to!, rep, ctx) : null;
    }),
  );
  return out.filter((x) => x !== null);
}

const weight = (r: Obj) => (typeof r.sortWeight === 'number' ? r.sortWeight : Number.MAX_VALUE);

/** Rows of another resource that point at this one; none when the reader may not read that resource. */
async function childrenValue(row: Obj, s: SourceOf<'children'>, rep: Rep, ctx: RenderContext): Promise<unknown> {
  const empty = s.nullWhenEmpty ? null : [];
  if (!ctx.loader.offers(s.resource) || !ctx.mayRead(s.resource)) return empty;
  const uuids = await ctx.loader.children({ resource: s.resource, via: s.via, active: s.active, notInGroup: s.notInGroup }, String(row.uuid));
  const out = (await Promise.all(uuids.map((u) => renderResource(s.resource, u, rep, ctx)))).filter((x) => x !== null);
  return out.length === 0 ? empty : out;
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

/** auditInfo: retire/void data only when retired/voided. */
function auditInfo(row: Obj): Obj {
  const a = (row.auditInfo ?? {}) as Obj;
  const out: Obj = { creator: a.creator ?? null, dateCreated: a.dateCreated ?? null, changedBy: a.changedBy ?? null, dateChanged: a.dateChanged ?? null };
  if (row.retired === true) Object.assign(out, { retiredBy: a.retiredBy ?? null, dateRetired: a.dateRetired ?? null, retireReason: a.retireReason ?? null });
  if (row.voided === true) Object.assign(out, { voidedBy: a.voidedBy ?? null, dateVoided: a.dateVoided ?? null, voidReason: a.voidReason ?? null });
  return out;
}
