// atomsync's table of duplicate-patient candidates (issue 20): written by `atomsync duplicates
// scan`, reviewed with `atomsync duplicates list|show|reject`. No trigger: it is this node's
// bookkeeping, never published.

const CHARSET = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

export const DUPLICATE_TABLES: Array<{ table: string; ddl: string }> = [
  {
    // One row per pair of patients (person uuids, the smaller first, so a pair has one row).
    // class: certain (same value of the same identifier type) or probable (score at or above the
    // threshold); reasons: JSON of field levels, never names or identifier values. status: open,
    // merged or rejected; a rejected pair is kept so a later scan never proposes it again.
    table: 'atomsync_duplicate',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_duplicate (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_a CHAR(38) NOT NULL,
  patient_b CHAR(38) NOT NULL,
  class VARCHAR(16) NOT NULL,
  score DECIMAL(8,2) NOT NULL,
  reasons TEXT NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'open',
  detected_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  reviewed_at DATETIME(3) NULL,
  UNIQUE KEY atomsync_duplicate_pair (patient_a, patient_b),
  KEY atomsync_duplicate_status (status, class, score)
) ${CHARSET}`,
  },
];
