// Grouping rows for multi-row INSERTs (tree-writer.ts).

/**
 * Rows for multi-row INSERTs, grouped by their columns in one order. Rows of one table need not
 * list the same columns in the same order: a person attribute's value is a reference for one
 * (a health centre) and text for the next, and put the value column elsewhere in the list.
 */
export class RowsByColumns {
  private readonly byKey = new Map<string, [string[], unknown[][]]>();
  add(names: string[], values: unknown[]): void {
    const order = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : 1));
    const sorted = order.map((i) => names[i]);
    const key = sorted.join(',');
    let g = this.byKey.get(key);
    if (!g) this.byKey.set(key, (g = [sorted, []]));
    g[1].push(order.map((i) => values[i]));
  }
  groups(): Array<[string[], unknown[][]]> {
    return [...this.byKey.values()];
  }
}
