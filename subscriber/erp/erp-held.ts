// What the ERP holds of the resources others refer to, and the error when one
// of them is not there yet.
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { SyncError } from '../errors.ts';

/** Where the ERP keeps the resources others refer to. Only these can be missing. */
export const HELD: Partial<Record<ResourceName, { table: string; column: string }>> = {
  patient: { table: 'erp_customer', column: 'patient_uuid' },
  encounter: { table: 'erp_order', column: 'encounter_uuid' },
  drug: { table: 'erp_drug', column: 'drug_uuid' },
  order: { table: 'erp_source_order', column: 'order_uuid' },
};

/** An order's customer, or a line's order, is not in the ERP yet. Retried: it comes with its own feed. */
export class ErpReferenceMissingError extends SyncError {
  override name = 'ErpReferenceMissingError';
  readonly retryable = true;
  constructor(
    readonly resource: ResourceName,
    readonly uuid: string,
    readonly neededBy: string,
  ) {
    super(`${neededBy} needs ${resource} ${uuid}, which the ERP does not hold yet`);
  }
}

/** The ERP ids of those of `uuids` the ERP holds, keyed by lower-case uuid: one query. Plain reads, as the rows are only pointed at. */
export async function heldIds(q: Queryable, resource: ResourceName, uuids: string[]): Promise<Map<string, number>> {
  const held = HELD[resource];
  if (!held || uuids.length === 0) return new Map();
  const rows = await queryRows<{ id: number; u: string }>(q, `SELECT id, ${held.column} AS u FROM ${held.table} WHERE ${held.column} IN (?)`, [
    [...new Set(uuids.map((u) => u.toLowerCase()))],
  ]);
  return new Map(rows.map((r) => [r.u.toLowerCase(), Number(r.id)]));
}
