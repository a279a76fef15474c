// The ERP's sink, as Bahmni feeds Odoo: patients become customers, encounters
// orders, and each coded obs, drug order and test order of an encounter a line of
// its order. Its database holds no OpenMRS tables; names come from the `display`
// labels the publisher puts on references. The subscriber applies what an obs or
// an order refers to first (its patient, encounter, drug, previous order: has()
// says whether the ERP holds them), so a line always finds its order; when it
// cannot, the event fails with ErpReferenceMissingError and is retried. Events
// are written as batches, one transaction each (erp-batch.ts); one event alone is a
// batch of one.
import { appendTo } from '../collections.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import { queryRows } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ResourceName } from '../../shared/resources.ts';
import type { RefValue, RowNode } from '../row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent, SinkItem } from '../sink.ts';
import { applyBatchIn } from './erp-batch.ts';
import { HELD, heldIds } from './erp-held.ts';
import { refreshOrderLines } from './erp-order-lines.ts';
import { ensureErpSchema } from './erp-schema.ts';
import { deleteRows, erpTransaction } from './erp-store.ts';

export { ErpReferenceMissingError } from './erp-held.ts';

/**
 * The feeds an ERP reads: the rest (visits, locations, concepts...) is skipped without a fetch.
 * A drug is fetched when an order first names it; its feed brings later changes of its concept.
 */
export const ERP_RESOURCES: readonly ResourceName[] = ['patient', 'encounter', 'obs', 'order', 'drug'];

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

  /** Customers, orders and drugs are looked up; anything else (an obs group, a previous version) is not needed first. */
  async has(ref: RefValue): Promise<boolean> {
    return (await this.hasMany([ref])).size > 0;
  }

  /** Which of these are present, as "resource/uuid" keys: one query per kind. */
  async hasMany(refs: RefValue[]): Promise<Set<string>> {
    const found = new Set<string>();
    const byResource = new Map<ResourceName, RefValue[]>();
    for (const r of refs) {
      if (HELD[r.resource]) appendTo(byResource, r.resource, r);
      else found.add(`${r.resource}/${r.uuid}`);
    }
    for (const [resource, wanted] of byResource) {
      const ids = await heldIds(this.pool, resource, wanted.map((r) => r.uuid));
      for (const r of wanted) if (ids.has(r.uuid.toLowerCase())) found.add(`${resource}/${r.uuid}`);
    }
    return found;
  }

  /** One transaction per resource: a batch of one, so the one-by-one path writes what a batch would. */
  async apply(ev: SinkEvent, tree: RowNode, rep: Record<string, unknown>): Promise<ApplyOutcome> {
    const [outcome] = await this.transaction((conn) => applyBatchIn(conn, [{ ev, tree, rep }]));
    return outcome;
  }

  /**
   * Many resources in the commit stage's transaction (erp-batch.ts), which also moves the
   * subscriber's marker, so both land in one commit. Throws on anything wrong: the commit
   * stage rolls the batch back and applies its events one by one.
   */
  applyBatch(conn: PoolConnection, items: SinkItem[]): Promise<ApplyOutcome[]> {
    return applyBatchIn(conn, items);
  }

  /** One transaction of the ERP's database (which holds the subscriber's markers too), run again whole when it lost a race. */
  transaction<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    return erpTransaction(this.pool, work);
  }

  /** Deleted at its origin: handled as a void. Customers, orders and drugs stay, inactive, for the ERP's history. */
  async remove(ev: SinkEvent): Promise<ApplyOutcome> {
    const uuid = ev.uuid.toLowerCase();
    if (ev.resource === 'obs') return this.transaction(async (conn) => ((await deleteRows(conn, 'erp_order_line', 'obs_uuid', [uuid])).size > 0 ? 'deleted' : 'absent'));
    if (ev.resource === 'order') return this.transaction(async (conn) => this.removeOrder(conn, uuid));
    const held = HELD[ev.resource];
    if (!held) return 'skipped';
    return this.transaction(async (conn) => {
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

}
