// Errors of the feed codec. Both are permanent for the document at hand: the
// same bytes (or the same model) fail the same way every time.

export interface FeedParseErrorDetails {
  /** URL the document came from, when the caller said. */
  url?: string;
  /** 1-based position of the offending entry in document order. */
  entryIndex?: number;
  entryId?: string;
}

/** A feed document that is not XML, not Atom, unsafe, too large, or missing what atomsync needs. */
export class FeedParseError extends Error {
  override name = 'FeedParseError' as const;
  readonly url?: string;
  readonly entryIndex?: number;
  readonly entryId?: string;

  constructor(message: string, details: FeedParseErrorDetails = {}) {
    super(details.url ? `${message} (${details.url})` : message);
    this.url = details.url;
    this.entryIndex = details.entryIndex;
    this.entryId = details.entryId;
  }
}

/**
 * A FeedPageModel that would render a wrong document (a page past the newest,
 * a complete page that is not full, a date that is not RFC 3339, ...).
 * Always a bug in the caller: rendering it would publish, and for complete
 * pages cache forever, a page that breaks the paging rules.
 */
export class FeedRenderError extends Error {
  override name = 'FeedRenderError' as const;
}
