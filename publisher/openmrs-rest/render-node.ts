// What the renderers pass to one another: the request's context and the node being
// rendered (a row with its table, its OpenMRS address and the resource it came from),
// how a node is loaded, and the small reading helpers every part of the rendering uses.
import { restUri } from '../../shared/rest-format.ts';
import type { ResourceName } from '../../shared/resources.ts';
import type { RepLoader } from './loader.ts';
import type { Table } from './table-types.ts';
import { TABLES } from './tables.ts';

export type Obj = Record<string, unknown>;

export interface RenderContext {
  loader: RepLoader;
  baseUrl: string;
  /** Whether the reader may read a registry resource beyond its ref (publisher/rights.ts). */
  mayRead: (resource: string) => boolean;
  /** Today, YYYY-MM-DD (UTC): a person's age. */
  today: string;
}

/** One row to render: an internal representation or one of its part rows. */
export interface Node {
  table: Table;
  row: Obj;
  /** OpenMRS's address of this object. */
  uri: string;
  /** The registry resource it was loaded from (what rights are checked against). */
  resource: string;
  /** The resource a sub-resource belongs to (a patient state's enrolment). */
  owner?: Node;
}

/** The top-level resource `name` with this uuid, from the first registry resource that offers it, or null. */
export async function loadNode(name: string, uuid: string, ctx: RenderContext): Promise<Node | null> {
  const table = TABLES[name];
  for (const l of table?.load ?? []) {
    if (!ctx.loader.offers(l.resource)) continue;
    const rep = await ctx.loader.rep(l.resource as ResourceName, uuid);
    const row = rep && l.part ? (rep[l.part] as Obj | null) : rep;
    if (row) return { table, row, uri: restUri(ctx.baseUrl, table.name, String(row.uuid)), resource: l.resource };
  }
  return null;
}

/** A part row as a sub-resource of its owner, addressed under the owner's uri. */
export function subNode(owner: Node, table: Table, row: Obj): Node {
  return { table, row, uri: `${owner.uri}/${table.name}/${String(row.uuid)}`, resource: owner.resource, owner };
}

/** The internal label of a reference, or null when there is none. */
export const labelOf = (v: unknown): string | null => (v && typeof v === 'object' ? ((v as Obj).display as string | null) ?? null : null);

/** OpenMRS's getPersonName()/getPersonAddress(): the first preferred row, else the first. */
export function preferred(rows: Obj[]): Obj[] {
  const p = rows.find((r) => r.preferred === true) ?? rows[0];
  return p ? [p] : [];
}
