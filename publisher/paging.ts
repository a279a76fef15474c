// Which positions each page of a feed holds. Pure arithmetic: no database, no clock.
//
// A feed's layout is a list of segments. From `fromPage` on (up to the next segment's first
// page), every page holds `size` positions, the first of them starting at `fromPosition`:
//
//   segments (1, 1, 50), (4, 151, 200)   page 3 = 101..150, page 4 = 151..350, page 5 = 351..550
//
// A feed that was never re-paged has one segment, (1, 1, size). A re-page (repage() below)
// adds a segment from the working page on, so every complete page keeps the positions it
// had, and with them its bytes and its ETag (SPEC.md, "Paging").

export interface Segment {
  /** First page of the segment, from 1. */
  fromPage: number;
  /** Position of that page's first event. */
  fromPosition: number;
  /** Positions each page of the segment holds. */
  size: number;
}

/** Segments in page order. The first starts at page 1, position 1; each starts where the one before leaves off. */
export type Layout = readonly Segment[];

/** The positions of one page, first..last (last = first + size - 1). */
export interface PageRange {
  first: number;
  last: number;
  size: number;
}

export class LayoutError extends Error {
  override name = 'LayoutError';
}

export function uniformLayout(size: number): Layout {
  return [{ fromPage: 1, fromPosition: 1, size }];
}

/** The positions page `page` (from 1) holds. */
export function pageRange(layout: Layout, page: number): PageRange {
  const s = last(layout, (seg) => seg.fromPage <= page);
  const first = s.fromPosition + (page - s.fromPage) * s.size;
  return { first, last: first + s.size - 1, size: s.size };
}

/** The page holding position `position` (from 1). */
export function pageOf(layout: Layout, position: number): number {
  const s = last(layout, (seg) => seg.fromPosition <= position);
  return s.fromPage + Math.floor((position - s.fromPosition) / s.size);
}

/** The working page of a feed of `count` events: the page the next event goes to. Every page below it is complete. */
export function newestPage(layout: Layout, count: number): number {
  return pageOf(layout, count + 1);
}

/**
 * The layout after re-paging a feed of `count` events to `size`. Complete pages keep their
 * positions. The working page takes the new size when what it holds already fits (a larger size,
 * or a smaller one it has not reached yet); otherwise it keeps its size until it completes and the
 * new size starts on the page after it, so no page ever loses an entry it was served with.
 * Re-paging to the size the working page already has returns the same layout.
 */
export function repage(layout: Layout, count: number, size: number): Layout {
  const working = newestPage(layout, count);
  const range = pageRange(layout, working);
  const held = count - range.first + 1;
  const from = held <= size ? { fromPage: working, fromPosition: range.first } : { fromPage: working + 1, fromPosition: range.last + 1 };
  // Segments that start after `from` have no event yet: nothing was served from them.
  return normalised([...layout.filter((s) => s.fromPage < from.fromPage), { ...from, size }]);
}

/** True when the layout is `size` a page from page 1 on: a feed that needs no segment rows. */
export function isUniform(layout: Layout, size: number): boolean {
  return layout.length === 1 && layout[0]!.size === size;
}

export function sameLayout(a: Layout, b: Layout): boolean {
  return a.length === b.length && a.every((s, i) => s.fromPage === b[i]!.fromPage && s.fromPosition === b[i]!.fromPosition && s.size === b[i]!.size);
}

/** Throws LayoutError unless the segments are a layout: from page 1 and position 1, each following on from the one before. */
export function checkLayout(layout: Layout, what = 'layout'): void {
  const fail = (msg: string): never => {
    throw new LayoutError(`${what}: ${msg}`);
  };
  if (layout.length === 0) fail('no segments');
  if (layout[0]!.fromPage !== 1 || layout[0]!.fromPosition !== 1) fail('the first segment must start at page 1, position 1');
  layout.forEach((s, i) => {
    for (const k of ['fromPage', 'fromPosition', 'size'] as const) {
      if (!Number.isSafeInteger(s[k]) || s[k] < 1) fail(`segment ${i + 1} has ${k} ${s[k]}`);
    }
    const prev = layout[i - 1];
    if (!prev) return;
    if (s.fromPage <= prev.fromPage) fail(`segment ${i + 1} starts at page ${s.fromPage}, not after page ${prev.fromPage}`);
    const expected = pageRange([prev], s.fromPage).first;
    if (s.fromPosition !== expected) fail(`segment ${i + 1} starts at position ${s.fromPosition}; page ${s.fromPage} follows on at ${expected}`);
  });
}

/** Adjacent segments of one size written as one: the same pages, one way to write them. */
function normalised(layout: Layout): Layout {
  const out: Segment[] = [];
  for (const s of layout) if (out.at(-1)?.size !== s.size) out.push(s);
  return out;
}

/** The last segment that `test` accepts (the first segment always starts at page 1, position 1). */
function last(layout: Layout, test: (s: Segment) => boolean): Segment {
  let found = layout[0]!;
  for (const s of layout) {
    if (!test(s)) break;
    found = s;
  }
  return found;
}
