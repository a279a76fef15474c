// The ERP's sink, as Bahmni feeds Odoo: patients become customers, encounters
// orders, and each coded obs, drug order and test order of an encounter a line of
// its order. Its database holds no OpenMRS tables; names come from the `display`
// labels the publisher puts on references. The subscriber applies what an obs or
// an order refers to first (its patient, encounter, drug, previous order: has()
// says whether the ERP holds them), so a line always finds its order; when it
// cannot, the event fails with ErpReferenceMissingError and is retried.
import type { Pool, PoolConnection } from '../../shared/db.ts';
import { queryRows } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { SyncError } from '../errors.ts';
import { versionOf } from '../row-tree.ts';
import type { RefValue, RowNode } from '../row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent } from '../sink.ts';
import { customerRecord, drugRecord, lineRecord, orderRecord, sourceOrderRecord } from './erp-records.ts';
import { ordersOfDrug, refreshOrderLines } from './erp-order-lines.ts';
import type { LineChange } from './erp-order-lines.ts';
import { ensureErpSchema } from './erp-schema.ts';
import { erpTransaction, upsertRow } from './erp-store.ts';

/**
 * The feeds an ERP reads: the rest (visits, locations, concepts...) is skipped without a fetch.
 * A drug is fetched when an order first names it; its feed brings later changes of its concept.
 */
export const ERP_RESOURCES: readonly ResourceName[] = ['patient', 'encounter', 'obs', 'order', 'drug'];

/** Where the ERP keeps the resources others refer to. Only these can be missing. */
const HELD: Partial<Record<ResourceName, { table: string; column: string }>> = {
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
      case 'drug':
        return erpTransaction(this.pool, async (conn) => {
          const res = await upsertRow(conn, 'erp_drug', 'drug_uuid', uuid, { ...drugRecord(tree, rep) }, versionOf(tree));
          // A drug's concept is its orders' product: their lines follow a change of it.
          if (res.outcome === 'applied') await refreshOrderLines(conn, await ordersOfDrug(conn, uuid));
          return res.outcome;
        });
      case 'order':
        return erpTransaction(this.pool, async (conn) => this.applyOrder(conn, uuid, tree, rep));
      default:
        return 'skipped';
    }
  }

  /**
   * Any order is kept (a plain order too, so the orders pointing at it find it); its line, and the
   * line of the order it revises or discontinues, are then worked out again (erp-order-lines.ts).
   * Its encounter's order and its drug must be in the ERP first, else it waits for a retry.
   */
  private async applyOrder(conn: PoolConnection, uuid: string, tree: RowNode, rep: Record<string, unknown>): Promise<ApplyOutcome> {
    const { encounterUuid, ...rec } = sourceOrderRecord(tree, rep);
    const orderId = await this.idOf(conn, 'encounter', encounterUuid, `order ${uuid}`);
    if (rec.drug_uuid) await this.idOf(conn, 'drug', rec.drug_uuid, `order ${uuid}`);
    const res = await upsertRow(conn, 'erp_source_order', 'order_uuid', uuid, { order_id: orderId, ...rec }, versionOf(tree));
    if (res.outcome !== 'applied') return res.outcome; // nothing the lines depend on has changed
    const lines = await refreshOrderLines(conn, [uuid, rec.previous_order_uuid]);
    return this.orderOutcome(lines.get(uuid)!, rec.voided === 1);
  }

  /** 'voided' when a voided order's line went, so the log tells a void from an update, as it does for obs. */
  private orderOutcome(own: LineChange, voided: boolean): ApplyOutcome {
    return voided && own === 'removed' ? 'voided' : 'applied';
  }

  /** Deleted at its origin: handled as a void. Customers, orders and drugs stay, inactive, for the ERP's history. */
  async remove(ev: SinkEvent): Promise<ApplyOutcome> {
    const uuid = ev.uuid.toLowerCase();
    if (ev.resource === 'obs') return erpTransaction(this.pool, async (conn) => ((await this.removeLine(conn, uuid)) ? 'deleted' : 'absent'));
    if (ev.resource === 'order') return erpTransaction(this.pool, async (conn) => this.removeOrder(conn, uuid));
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

  /** A purged order is kept as voided, so the order it revised gets its line back, as when it is voided. */
  private async removeOrder(conn: PoolConnection, uuid: string): Promise<ApplyOutcome> {
    const [row] = await queryRows<{ previous: string | null; voided: number }>(
      conn,
      'SELECT previous_order_uuid AS previous, voided FROM erp_source_order WHERE order_uuid = ? FOR UPDATE',
      [uuid],
    );
    if (!row || Number(row.voided) === 1) return 'absent';
    await conn.query('UPDATE erp_source_order SET voided = 1, updated_at = UTC_TIMESTAMP(3) WHERE order_uuid = ?', [uuid]);
    await refreshOrderLines(conn, [uuid, row.previous]);
    return 'deleted';
  }

  private async removeLine(conn: PoolConnection, obsUuid: string): Promise<boolean> {
    const [res] = await conn.query('DELETE FROM erp_order_line WHERE obs_uuid = ?', [obsUuid]);
    return (res as { affectedRows: number }).affectedRows > 0;
  }

  /** The ERP id of a customer (by patient uuid), an order (by encounter uuid) or a drug, read in the transaction. */
  private async idOf(conn: PoolConnection, resource: 'patient' | 'encounter' | 'drug', uuid: string, neededBy: string): Promise<number> {
    const held = HELD[resource]!;
    const [row] = await queryRows<{ id: number }>(conn, `SELECT id FROM ${held.table} WHERE ${held.column} = ?`, [uuid]);
    if (!row) throw new ErpReferenceMissingError(resource, uuid, neededBy);
    return Number(row.id);
  }
}
