// Complete feed pages never change, so their bytes (every content coding, archive-page.ts) are
// kept in memory. A small LRU bounded by those bytes: Map iteration order is insertion order,
// and a hit re-inserts.
import type { ArchivePage } from './archive-page.ts';

/**
 * Archive pages kept, by size (all codings counted): about 850 pages of 50 entries (35 KB + 2.7 KB
 * gzip + 2.3 KB brotli when asked for), 42,000 events, so subscribers catching up that far apart
 * share pages. It was 64 MiB, which a catch-up of more than 80,000 events fills, most of the way
 * to the 200 MB the publisher is to stay under (issue 17); a page that has left it is rendered
 * again when asked for.
 */
export const PAGE_CACHE_BYTES = 32 * 1024 * 1024;

export class PageCache {
  private readonly map = new Map<string, ArchivePage>();
  private bytes = 0;
  constructor(private readonly maxBytes = PAGE_CACHE_BYTES) {}

  get(key: string): ArchivePage | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, page: ArchivePage): void {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.bytes -= old.bytes;
    }
    this.map.set(key, page);
    this.bytes += page.bytes;
    this.evict();
  }

  private evict(): void {
    while (this.bytes > this.maxBytes && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value!;
      this.map.delete(k);
      this.bytes -= v.bytes;
    }
  }

  /** `page`, held under `key`, has grown by `added` bytes (a coding made later, archive-page.ts addGzip, addBrotli). */
  grew(key: string, page: ArchivePage, added: number): void {
    if (this.map.get(key) !== page) return; // evicted or replaced meanwhile: nothing to count
    this.bytes += added;
    this.evict();
  }

  /** Bytes held now (every coding of every page). */
  get size(): number {
    return this.bytes;
  }
}
