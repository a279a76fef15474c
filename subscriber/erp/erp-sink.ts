// The ERP's sink, as Bahmni feeds Odoo: patients become customers, encounters
// orders, and each coded obs of an encounter a line of its order. Its database
// holds no OpenMRS tables; names come from the `display` labels the publisher
// puts on references. The subscriber applies an obs's patient and encounter
// first (has() says whether the ERP holds them), so a line always finds its order.
import type { Pool, PoolConnection } from '../../shared/db.ts';
import { queryRows } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { SyncError } from '../errors.ts';
import { versionOf } from '../row-tree.ts';
import type { RefValue, RowNode } from '../row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent } from '../sink.ts';
import { customerRecord, lineRecord, orderRecord } from './erp-records.ts';
import { ensureErpSchema } from './erp-schema.ts';
import { erpTransaction, upsertRow } from './erp-store.ts';

/** The feeds an ERP reads: the rest (visits, locations, concepts...) is skipped without a fetch. */
export const ERP_RESOURCES: readonly ResourceName[] = ['patient', 'encounter', 'obs'];

/** Where the ERP keeps the resources others refer to. Only these can be missing. */
const HELD: Partial<Record<ResourceName, { table: string; column: string }>> = {
  patient: { table: 'erp_customer', column: 'patient_uuid' },
  encounter: { table: 'erp_order', column: 'encounter_uuid' },
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

export class ErpSink implements Sink {
  private constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  /** Creates the ERP tables when missing, then the sink. */
  static async create(pool: Pool, log: Logger): Promise<ErpSink> {
    const created = await ensureErpSchema(pool);
    if (created.length > 0) log.info('created ERP tables', { tables: created });
    return new ErpSink(pool, log);
  }

  /** Customers, clinics and products are named by the representations' display labels. */
  readonly needsLabels = true;

  accepts(resource: ResourceName): boolean {
    return ERP_RESOURCES.includes(resource);
  }

  /** Customers and orders are looked up; anything else (an obs group, a previous version) is not needed first. */
  async has(ref: RefValue): Promise<boolean> {
    const held = HELD[ref.resource];
    if (!held) return true;
    const rows = await queryRows(this.pool, `SELECT 1 FROM ${held.table} WHERE ${held.column} = ? LIMIT 1`, [ref.uuid.toLowerCase()]);
    return rows.length > 0;
  }

  /** One transaction per resource; every write is an upsert by uuid, so applying twice changes nothing. */
  async apply(ev: SinkEvent, tree: RowNode, rep: Record<string, unknown>): Promise<ApplyOutcome> {
    const uuid = ev.uuid.toLowerCase();
    switch (ev.resource) {
      case 'patient':
        return erpTransaction(this.pool, async (conn) => {
          const rec = customerRecord(tree, rep, ev.origin);
          return (await upsertRow(conn, 'erp_customer', 'patient_uuid', uuid, { ...rec }, versionOf(tree))).outcome;
        });
      case 'encounter':
        return erpTransaction(this.pool, async (conn) => {
          const { customerUuid, ...rec } = orderRecord(tree, rep);
          const customerId = await this.idOf(conn, 'patient', customerUuid, `encounter ${uuid}`);
          const row = { customer_id: customerId, order_date: rec.orderDate, location: rec.location, encounter_type: rec.encounterType, active: rec.active };
          return (await upsertRow(conn, 'erp_order', 'encounter_uuid', uuid, row, versionOf(tree))).outcome;
        });
      case 'obs':
        return erpTransaction(this.pool, async (conn) => {
          const line = lineRecord(tree, rep);
          // Voided, not coded, or outside an encounter: no line (any line it had goes).
          if (!line) return (await this.removeLine(conn, uuid)) ? 'voided' : 'skipped';
          const orderId = await this.idOf(conn, 'encounter', line.encounterUuid, `obs ${uuid}`);
          const row = { order_id: orderId, concept_uuid: line.conceptUuid, product: line.product, value: line.value };
          return (await upsertRow(conn, 'erp_order_line', 'obs_uuid', uuid, row)).outcome;
        });
      default:
        return 'skipped';
    }
  }

  /** Deleted at its origin: handled as a void. Customers and orders stay, inactive, for the ERP's history. */
  async remove(ev: SinkEvent): Promise<ApplyOutcome> {
    const uuid = ev.uuid.toLowerCase();
    if (ev.resource === 'obs') return erpTransaction(this.pool, async (conn) => ((await this.removeLine(conn, uuid)) ? 'deleted' : 'absent'));
    const held = HELD[ev.resource];
    if (!held) return 'skipped';
    return erpTransaction(this.pool, async (conn) => {
      const [res] = await conn.query(
        `UPDATE ${held.table} SET active = 0, updated_at = UTC_TIMESTAMP(3) WHERE ${held.column} = ? AND active = 1`,
        [uuid],
      );
      const changed = (res as { affectedRows: number }).affectedRows > 0;
      this.log.debug('deleted at origin: marked inactive', { resource: ev.resource, uuid, changed });
      return changed ? 'voided' : 'absent';
    });
  }

  private async removeLine(conn: PoolConnection, obsUuid: string): Promise<boolean> {
    const [res] = await conn.query('DELETE FROM erp_order_line WHERE obs_uuid = ?', [obsUuid]);
    return (res as { affectedRows: number }).affectedRows > 0;
  }

  /** The ERP id of a customer (by patient uuid) or an order (by encounter uuid), read in the transaction. */
  private async idOf(conn: PoolConnection, resource: 'patient' | 'encounter', uuid: string, neededBy: string): Promise<number> {
    const held = HELD[resource]!;
    const [row] = await queryRows<{ id: number }>(conn, `SELECT id FROM ${held.table} WHERE ${held.column} = ?`, [uuid]);
    if (!row) throw new ErpReferenceMissingError(resource, uuid, neededBy);
    return Number(row.id);
  }
}
