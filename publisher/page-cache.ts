// Complete feed pages never change, so their rendered bytes are kept in memory.
// A small LRU: Map iteration order is insertion order, and a hit re-inserts.

export interface CachedPage {
  body: string;
  etag: string;
}

export class PageCache {
  private readonly map = new Map<string, CachedPage>();
  constructor(private readonly maxPages = 500) {}

  get(key: string): CachedPage | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, page: CachedPage): void {
    this.map.set(key, page);
    if (this.map.size > this.maxPages) this.map.delete(this.map.keys().next().value!);
  }
}
