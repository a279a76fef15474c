// The feed parser's error. Permanent for the document at hand: the same bytes
// fail the same way every time.

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
