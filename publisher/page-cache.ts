// Complete feed pages never change, so their rendered bytes are kept in memory.
// A small LRU: Map iteration order is insertion order, and a hit re-inserts.

export interface CachedPage {
  body: string;
  etag: string;
}

/** Rendered archive pages kept, by size: about 1,900 pages of 50 entries. */
export const PAGE_CACHE_BYTES = 64 * 1024 * 1024;

export class PageCache {
  private readonly map = new Map<string, CachedPage>();
  private bytes = 0;
  constructor(private readonly maxBytes = PAGE_CACHE_BYTES) {}

  get(key: string): CachedPage | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, page: CachedPage): void {
    const old = this.map.get(key);
    if (old) this.bytes -= old.body.length;
    this.map.set(key, page);
    this.bytes += page.body.length;
    while (this.bytes > this.maxBytes && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value!;
      this.map.delete(k);
      this.bytes -= v.body.length;
    }
  }
}
