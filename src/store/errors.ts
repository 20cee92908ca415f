// The store's expected failures, as values a caller can tell apart: another process holds the database, or the
// database cannot take writes right now (disk full, I/O error, locked past the busy timeout). Any adapter throws these.

/** Another Herald process already serves this database; this one must not start beside it. */
export class DatabaseInUse extends Error {
  readonly code = "database_in_use";
}

/** A write failed for a reason that may pass (space freed, lock released): try again later. */
export class StorageUnavailable extends Error {
  readonly code = "storage_unavailable";
}
