// Typed errors of the subscriber. Whether an event is retried is decided by
// the error's class (retryable or not), never by matching message text.

export abstract class SyncError extends Error {
  /** Worth trying again later (the peer may recover, the dependency may arrive). */
  abstract readonly retryable: boolean;
}

/** The network or the peer failed: timeouts, resets, 5xx, 429. */
export class FetchError extends SyncError {
  override name = 'FetchError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    /** Seconds the server asked us to wait (Retry-After). */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** The peer answered 4xx (other than 429): asking again the same way will not help now. */
export class HttpStatusError extends SyncError {
  override name = 'HttpStatusError';
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly url: string,
    readonly status: number,
  ) {
    super(message);
    // A 404 may be a resource not published yet, so it is retried; 401/403/400 will not fix themselves.
    this.retryable = status === 404 || status === 408;
  }
}

/** A link in a feed points somewhere the subscriber must not go. */
export class ForbiddenLinkError extends SyncError {
  override name = 'ForbiddenLinkError';
  readonly retryable = false;
  constructor(readonly url: string, readonly allowed: string[]) {
    super(`refusing to follow ${url}: only ${allowed.join(', ')} may be fetched from this feed`);
  }
}

/** The representation is not something we can store (bad JSON, wrong uuid, a date that is not a date...). */
export class InvalidResourceError extends SyncError {
  override name = 'InvalidResourceError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly resource: string,
    readonly uuid: string,
  ) {
    super(message);
  }
}

/**
 * A state that would bring back a patient this node merged into another (atomsync duplicates
 * merge, or OpenMRS's own merge: person_merge_log): an edit made where the merge was not known
 * yet. Kept as a dead letter, never applied: applying it would undo the merge's void.
 */
export class MergedAwayError extends SyncError {
  override name = 'MergedAwayError';
  readonly retryable = false;
  constructor(
    readonly uuid: string,
    readonly keptUuid: string,
  ) {
    super(`patient ${uuid} was merged into ${keptUuid} here; this change, made where the merge was not known yet, would undo it. Kept as a dead letter: make the change on ${keptUuid} if it still applies`);
  }
}

/** A referenced resource could not be had yet. */
export class DependencyUnavailableError extends SyncError {
  override name = 'DependencyUnavailableError';
  readonly retryable = true;
  constructor(
    readonly resource: string,
    readonly uuid: string,
    override readonly cause: Error,
  ) {
    super(`needs ${resource} ${uuid}, which cannot be fetched yet: ${cause.message}`);
  }
}

/** Resources that refer to each other in a loop cannot be written in any order. */
export class ReferenceCycleError extends SyncError {
  override name = 'ReferenceCycleError';
  readonly retryable = false;
  constructor(readonly path: string[]) {
    super(`reference cycle: ${path.join(' -> ')}`);
  }
}

/**
 * A referenced resource is not in the local database (dependency resolution should have put it
 * there). Retryable: it may be written by the time the event is tried again.
 */
export class MissingReferenceError extends SyncError {
  override name = 'MissingReferenceError';
  readonly retryable = true;
  constructor(
    readonly resource: string,
    readonly uuid: string,
  ) {
    super(`references ${resource} ${uuid}, which is not in the local database`);
  }
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof SyncError) return err.retryable;
  // Database deadlocks and lost connections are transient; anything unknown is retried too,
  // because dropping an event is worse than trying it again.
  return true;
}
