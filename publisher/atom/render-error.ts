// The feed renderer's error.

/**
 * A FeedPageModel that would render a wrong document (a page past the newest,
 * a complete page that is not full, a date that is not RFC 3339, ...).
 * Always a bug in the caller: rendering it would publish, and for complete
 * pages cache forever, a page that breaks the paging rules.
 */
export class FeedRenderError extends Error {
  override name = 'FeedRenderError' as const;
}
