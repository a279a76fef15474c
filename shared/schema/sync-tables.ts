// atomsync's own tables. None of them has a trigger: sync never publishes its own bookkeeping.

const CHARSET = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

export const SYNC_TABLES: Array<{ table: string; ddl: string }> = [
  {
    // Node settings written by `migrate`: node_id, node_uuid, created_at; by the publisher:
    // page_size, page_layout (publisher/feed-layouts.ts).
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
  UNIQUE KEY atomsync_event_position (resource, position),
  KEY atomsync_event_resource_uuid (resource, uuid, seq)
) ${CHARSET}`,
  },
  {
    // One durable marker per feed a subscriber reads. feed_url has no credentials.
    // next_page_url is where reading resumes; last_* name the last entry consumed.
    table: 'atomsync_marker',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_marker (
  feed_url VARCHAR(512) NOT NULL PRIMARY KEY,
  last_entry_id VARCHAR(255) NULL,
  last_page_url VARCHAR(512) NULL,
  last_position BIGINT NOT NULL DEFAULT 0,
  last_seq BIGINT NULL,
  next_page_url VARCHAR(512) NULL,
  events_seen BIGINT NOT NULL DEFAULT 0,
  newest_changed_at DATETIME(3) NULL,
  last_poll_at DATETIME(3) NULL,
  last_success_at DATETIME(3) NULL,
  last_error TEXT NULL,
  last_error_at DATETIME(3) NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ${CHARSET}`,
  },
  {
    // Events read from a feed but not applied yet (waiting for a retry) or given up on (dead).
    // One row per resource: a later event for the same resource joins the row instead of overtaking it.
    table: 'atomsync_inbox',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_inbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  resource VARCHAR(64) NOT NULL,
  uuid CHAR(38) NOT NULL,
  feed_url VARCHAR(512) NOT NULL,
  entry_id VARCHAR(255) NOT NULL,
  content_path VARCHAR(1024) NOT NULL,
  action VARCHAR(16) NOT NULL,
  origin VARCHAR(64) NOT NULL,
  position BIGINT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_error TEXT NULL,
  first_seen_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY atomsync_inbox_resource (resource, uuid),
  KEY atomsync_inbox_status (status, next_attempt_at)
) ${CHARSET}`,
  },
  {
    // What was last synced for each resource: the basis of conflict detection.
    table: 'atomsync_sync_state',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_sync_state (
  resource VARCHAR(64) NOT NULL,
  uuid CHAR(38) NOT NULL,
  hash CHAR(64) NOT NULL,
  version DATETIME(3) NULL,
  origin VARCHAR(64) NOT NULL,
  synced_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (resource, uuid)
) ${CHARSET}`,
  },
  {
    // Both versions of every conflict ("new is the best" picks the winner; nothing is lost).
    table: 'atomsync_conflict',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_conflict (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  resource VARCHAR(64) NOT NULL,
  uuid CHAR(38) NOT NULL,
  feed_url VARCHAR(512) NOT NULL,
  entry_id VARCHAR(255) NOT NULL,
  winner VARCHAR(8) NOT NULL,
  local_version LONGTEXT NOT NULL,
  remote_version LONGTEXT NOT NULL,
  detected_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  resolved_at DATETIME(3) NULL,
  resolution VARCHAR(16) NULL,
  KEY atomsync_conflict_resource (resource, uuid)
) ${CHARSET}`,
  },
  {
    // Events not applied because the local state was newer: recorded, not silently dropped.
    table: 'atomsync_superseded',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_superseded (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  resource VARCHAR(64) NOT NULL,
  uuid CHAR(38) NOT NULL,
  feed_url VARCHAR(512) NOT NULL,
  entry_id VARCHAR(255) NOT NULL,
  incoming_version DATETIME(3) NULL,
  local_version DATETIME(3) NULL,
  recorded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY atomsync_superseded_resource (resource, uuid)
) ${CHARSET}`,
  },
  {
    // Publisher side: how far each subscriber has read each feed, from the pages it asks for
    // (header x-atomsync-subscriber). Written at most once a second per row; shown on the root page.
    // A feed is a category (a catchment's names up to 50 locations), keyed by its SHA-1 (feed_key);
    // node is the node id the reader last named, a label.
    table: 'atomsync_subscriber_position',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_subscriber_position (
  subscriber VARCHAR(64) NOT NULL,
  feed_key CHAR(40) NOT NULL,
  feed VARCHAR(2048) NOT NULL,
  node VARCHAR(64) NULL,
  position BIGINT NOT NULL,
  page INT NOT NULL,
  seen_at DATETIME(3) NOT NULL,
  PRIMARY KEY (subscriber, feed_key)
) ${CHARSET}`,
  },
  {
    // Publisher side: the snapshot, which publishes rows that existed before atomsync was
    // installed (or again, on demand). One row per resource; after_key is how far it has got,
    // moved in the same transaction as the outbox rows it covers (publisher/snapshot.ts).
    table: 'atomsync_snapshot',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_snapshot (
  resource VARCHAR(64) NOT NULL PRIMARY KEY,
  status VARCHAR(16) NOT NULL,
  after_key BIGINT NOT NULL DEFAULT 0,
  high_key BIGINT NULL,
  rows_total BIGINT NULL,
  rows_done BIGINT NOT NULL DEFAULT 0,
  requested_at DATETIME(3) NOT NULL,
  started_at DATETIME(3) NULL,
  finished_at DATETIME(3) NULL
) ${CHARSET}`,
  },
  {
    // Publisher side: how each feed's pages map to positions after a re-page (publisher/paging.ts).
    // From from_page on, a page holds page_size positions, the first at from_position. Written only
    // by `atomsync publish --repage`, in one transaction under the relay's lock; a feed without rows
    // is paged by atomsync_meta.page_size from page 1.
    table: 'atomsync_page_segment',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_page_segment (
  feed VARCHAR(64) NOT NULL,
  from_page BIGINT NOT NULL,
  from_position BIGINT NOT NULL,
  page_size INT NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (feed, from_page)
) ${CHARSET}`,
  },
  {
    // Publisher side: a child node's catchment, a set of locations (each with its descendants).
    // locations_key is a hash of the sorted location uuids, so one set is one catchment whoever asks.
    // routed_seq: the atomsync_event seq up to which events have been routed into its log;
    // positions: how many entries its log holds (publisher/catchments/router.ts).
    table: 'atomsync_catchment',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_catchment (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  locations_key CHAR(64) NOT NULL,
  locations TEXT NOT NULL,
  routed_seq BIGINT NOT NULL DEFAULT 0,
  positions BIGINT NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY atomsync_catchment_key (locations_key)
) ${CHARSET}`,
  },
  {
    // The patients in a catchment, from the event at which they entered it. Never removed: a
    // patient who leaves stays where they are.
    table: 'atomsync_catchment_patient',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_catchment_patient (
  catchment_id INT NOT NULL,
  patient_id INT NOT NULL,
  entered_seq BIGINT NOT NULL,
  PRIMARY KEY (catchment_id, patient_id)
) ${CHARSET}`,
  },
  {
    // A catchment's own log: its positions (gap-free from 1, append-only, so its pages are as
    // immutable as the all feed's), each naming an event of atomsync_event. An event may be named
    // after later ones: a patient's record, when the patient enters the catchment.
    table: 'atomsync_catchment_event',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_catchment_event (
  catchment_id INT NOT NULL,
  position BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (catchment_id, position),
  KEY atomsync_catchment_event_seq (catchment_id, seq)
) ${CHARSET}`,
  },
  {
    // The operator's address rules (`atomsync catchments address add`): a patient with a
    // non-voided address whose `field` equals `value` (trimmed, any case) is in every catchment
    // that covers the location (publisher/catchments/address-rules.ts). One rule per triple; the
    // collation makes "Kisumu" and "KISUMU" the same rule.
    table: 'atomsync_catchment_address',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_catchment_address (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  location_uuid CHAR(38) NOT NULL,
  field VARCHAR(32) NOT NULL,
  value VARCHAR(255) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY atomsync_catchment_address_rule (location_uuid, field, value)
) ${CHARSET}`,
  },
  {
    // Which address rules have been swept for which catchment: the existing patients who match a
    // rule enter the catchment once, at the router's first pass after the rule covers it.
    table: 'atomsync_catchment_address_swept',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_catchment_address_swept (
  catchment_id INT NOT NULL,
  rule_id INT NOT NULL,
  swept_seq BIGINT NOT NULL,
  PRIMARY KEY (catchment_id, rule_id)
) ${CHARSET}`,
  },
  {
    // Sync by file, the exporting side: per peer, how far bundles were sent and how far the peer
    // acknowledged having them (shared/bundle/peers.ts). The next export starts after acked_to.
    // feed: `all`, or `catchment:<locations_key>`: the log whose positions sent_to and acked_to count.
    table: 'atomsync_peer',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_peer (
  peer VARCHAR(64) NOT NULL PRIMARY KEY,
  feed VARCHAR(80) NOT NULL DEFAULT 'all',
  sent_to BIGINT NOT NULL DEFAULT 0,
  acked_to BIGINT NOT NULL DEFAULT 0,
  exports INT NOT NULL DEFAULT 0,
  last_export_id CHAR(36) NULL,
  last_sent_at DATETIME(3) NULL,
  last_acked_at DATETIME(3) NULL
) ${CHARSET}`,
  },
  {
    // Sync by file, the importing side: the states a bundle carried for events that could not be
    // applied yet (parked in atomsync_inbox), kept so that a later import retries them without
    // the file. Deleted once the event is applied.
    table: 'atomsync_bundle_held',
    ddl: `CREATE TABLE IF NOT EXISTS atomsync_bundle_held (
  feed_url VARCHAR(512) NOT NULL,
  resource VARCHAR(64) NOT NULL,
  uuid CHAR(38) NOT NULL,
  rep LONGTEXT NOT NULL,
  held_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (feed_url, resource, uuid)
) ${CHARSET}`,
  },
];
