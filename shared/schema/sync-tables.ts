// atomsync's own tables. None of them has a trigger: sync never publishes its own bookkeeping.

const CHARSET = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

export const SYNC_TABLES: Array<{ table: string; ddl: string }> = [
  {
    // Node settings written by `migrate`: node_id, node_uuid, created_at.
    table: 'atomsync_meta',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_meta (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value VARCHAR(255) NOT NULL
) ${CHARSET}`,
  },
  {
    // Written by triggers inside the writer's transaction; drained by the relay.
    // Its id orders rows by insert, not by commit, which is why readers never see it.
    table: 'atomsync_outbox',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  resource VARCHAR(64) NOT NULL,
  uuid CHAR(38) NOT NULL,
  action VARCHAR(16) NOT NULL,
  origin VARCHAR(64) NULL,
  changed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ${CHARSET}`,
  },
  {
    // The published log. seq is gap-free and commit-ordered (assigned by the single relay);
    // position numbers the events of one resource, so category feeds page by range too.
    table: 'atomsync_event',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_event (
  seq BIGINT NOT NULL PRIMARY KEY,
  resource VARCHAR(64) NOT NULL,
  position BIGINT NOT NULL,
  event_uuid CHAR(36) NOT NULL,
  uuid CHAR(38) NOT NULL,
  action VARCHAR(16) NOT NULL,
  origin VARCHAR(64) NOT NULL,
  changed_at DATETIME(3) NOT NULL,
  published_at DATETIME(3) NOT NULL,
  UNIQUE KEY atomsync_event_uuid (event_uuid),
  UNIQUE KEY atomsync_event_position (resource, position)
) ${CHARSET}`,
  },
];
