// A run of new resources of one kind, written together: one multi-row INSERT per
// table instead of one per resource. The batch write (MysqlSink.applyBatch) adds
// new resources to the run and flushes it when the next item cannot join it.
import type { PoolConnection } from '../../shared/db.ts';
import type { Registry } from '../../shared/registry.ts';
import { keyOf } from '../row-tree.ts';
import type { RefValue } from '../row-tree.ts';
import type { SinkItem } from '../sink.ts';
import type { BulkWriter } from './bulk-writer.ts';

export class NewRun {
  private items: SinkItem[] = [];
  private readonly keys = new Set<string>();

  constructor(
    private readonly writer: BulkWriter,
    private readonly registry: Registry,
    /** Keys ("resource/uuid") the batch points at: the inserted rows whose keys are asked back. */
    private readonly referenced: ReadonlySet<string>,
  ) {}

  /** Whether `it` may join the run: the same kind, and pointing at nothing in the run (that must be written first). */
  takes(it: SinkItem, refs: RefValue[]): boolean {
    if (this.items.length > 0 && this.items[0].ev.resource !== it.ev.resource) return false;
    return !refs.some((r) => this.keys.has(keyOf(r)));
  }

  add(it: SinkItem): void {
    this.items.push(it);
    this.keys.add(keyOf(it.ev));
  }

  async flush(conn: PoolConnection): Promise<void> {
    if (this.items.length === 0) return;
    const def = this.registry.def(this.items[0].ev.resource);
    const trees = this.items.map((r) => r.tree);
    if (def.root.parts.length === 0 && def.root.uuidColumn) {
      await this.writer.writeLeaves(conn, def, trees, (t) => this.referenced.has(`${def.name}/${t.uuid!.toLowerCase()}`));
    } else await this.writer.writeNewAggregates(conn, def, trees);
    this.items = [];
    this.keys.clear();
  }
}
