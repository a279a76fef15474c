// A running publisher: the relay plus the HTTP(S) server, with run() and stop().
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/protocol.ts';
import { openPool } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { loadRegistry } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { readMeta } from '../shared/schema/migrate.ts';
import { explainDbError } from '../shared/start-errors.ts';
import { dbToIso } from '../shared/time.ts';
import { EventStore } from './event-store.ts';
import { FairShare } from './fair-share.ts';
import type { FairShareOptions } from './fair-share.ts';
import { FeedLayouts } from './feed-layouts.ts';
import { PublisherCounters } from './metrics.ts';
import { NewEvents } from './new-events.ts';
import type { NewEventsOptions } from './new-events.ts';
import { Relay } from './relay.ts';
import { LoginBrake } from '../shared/web/login-brake.ts';
import type { BrakeOptions } from '../shared/web/login-brake.ts';
import { hasEveryRight, rightsOf } from './rights.ts';
import type { RightsTable } from './rights.ts';
import { SnapshotWorker, progressLogger } from './snapshot.ts';
import type { SnapshotOptions } from './snapshot.ts';
import type { RelayOptions } from './relay.ts';
import { createPublisherApp } from './server.ts';
import { SubscriberPositions } from './subscriber-positions.ts';

export interface PublisherOptions {
  dbUrl: string;
  /** Must match the node id the database was migrated with. */
  nodeId?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  users: Map<string, string>;
  /** What each user may read (rights.ts parseUserRights); a user not in it may read everything. */
  rights?: RightsTable;
  /** The brake on wrong passwords (login-brake.ts); BRAKE_DEFAULTS otherwise. */
  brake?: BrakeOptions;
  /** Events a feed page; must be the size recorded at the first start (absent: the recorded size, or the default). */
  pageSize?: number;
  /** Re-page the feeds to pageSize when it differs from the recorded size (feed-layouts.ts). */
  repage?: boolean;
  publicUrl?: string;
  /** Host names answered to besides the address reached and localhost (host-rule.ts). */
  allowedHosts?: readonly string[];
  /** Each reader's share of the server (fair-share.ts); FAIR_SHARE_DEFAULTS for what is not given. */
  fairShare?: Partial<FairShareOptions>;
  tls?: { keyFile: string; certFile: string };
  relay?: Pick<RelayOptions, 'batchSize' | 'pollMs'>;
  snapshot?: Pick<SnapshotOptions, 'chunkRows' | 'maxOutbox' | 'idleCheckMs'>;
  /** Long-polled `recent` requests held at once (new-events.ts); NEW_EVENTS_DEFAULTS otherwise. */
  longPoll?: Partial<NewEventsOptions>;
  /** Run the HTTP server without a relay (a read replica, or a test); long polls are then answered at once. */
  noRelay?: boolean;
  maxConnections?: number;
  /** How long a request waits when the database server refuses a connection, before 503 (shared/db-patience.ts). */
  serverFullWaitMs?: number;
}

export const PUBLISHER_DEFAULTS = { host: '127.0.0.1', port: 8081, pageSize: DEFAULT_PAGE_SIZE, maxConnections: 10 } as const;
/** Idle database connections a publisher keeps, and for how long. */
const PUBLISHER_POOL = { maxIdle: 2, idleTimeoutMs: 10_000 } as const;

export class Publisher {
  private pool: Pool | null = null;
  private server: Server | null = null;
  private relay: Relay | null = null;
  private relayRun: Promise<void> | null = null;
  private snapshot: SnapshotWorker | null = null;
  private snapshotRun: Promise<void> | null = null;
  private positions: SubscriberPositions | null = null;
  private newEvents: NewEvents | null = null;
  /** What this process has served and published, for /metrics. */
  readonly counters = new PublisherCounters();
  /** Base URL once listening, e.g. http://127.0.0.1:8081. */
  url = '';

  /** Long-polled requests held now. */
  get longPollsHeld(): number {
    return this.newEvents?.held ?? 0;
  }

  constructor(
    private readonly o: PublisherOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<string> {
    try {
      return await this.open();
    } catch (err) {
      await this.stop().catch(() => undefined); // a refused start leaves nothing open to keep the process alive
      throw err;
    }
  }

  private async open(): Promise<string> {
    const asked = this.o.pageSize;
    if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > MAX_PAGE_SIZE)) {
      throw new Error(`page size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    }
    // Connections a burst of requests opened are given back to the server once it has passed: a
    // database server shared by many publishers (a district's, or the many-clinics bench) would
    // otherwise have them held idle by whoever came first, and the others refused (Too many
    // connections) for as long as they run.
    const pool = (this.pool = openPool(this.o.dbUrl, {
      connectionLimit: this.o.maxConnections ?? PUBLISHER_DEFAULTS.maxConnections,
      maxIdle: PUBLISHER_POOL.maxIdle,
      idleTimeoutMs: PUBLISHER_POOL.idleTimeoutMs,
      ...(this.o.serverFullWaitMs !== undefined ? { serverFullWaitMs: this.o.serverFullWaitMs } : {}),
    }));
    const meta = await this.readNodeMeta(pool);
    const nodeId = meta.node_id;
    const { layouts } = await FeedLayouts.open(pool, this.log.child({ part: 'paging' }), { pageSize: asked, repage: this.o.repage });
    const pageSize = layouts.pageSize;
    const registry = await loadRegistry(pool);
    if (registry.absentColumns.length > 0 || registry.missingTables.length > 0) {
      this.log.info('this database lacks some registry columns or tables; they are shown as null or not offered', {
        absentColumns: registry.absentColumns,
        missingTables: registry.missingTables,
      });
    }
    const positions = (this.positions = new SubscriberPositions(pool, this.log.child({ part: 'positions' })));
    await positions.load();
    const newEvents = (this.newEvents = new NewEvents(this.o.longPoll));
    const app = createPublisherApp({
      pool,
      store: new EventStore(pool),
      log: this.log,
      nodeId,
      nodeUuid: meta.node_uuid,
      emptyUpdated: dbToIso(meta.created_at),
      pageSize,
      layouts,
      registry,
      auth: { users: this.o.users, brake: new LoginBrake(this.o.brake), rights: this.o.rights },
      publicUrl: this.o.publicUrl,
      allowedHosts: this.o.allowedHosts,
      fairShare: new FairShare(this.o.fairShare),
      positions,
      newEvents,
      counters: this.counters,
    });
    await this.listen(app);
    if (!this.o.noRelay) this.startPublishing(pool, registry, nodeId, newEvents);
    // Names only (never a password): who may read everything, so a user left out of --user-rights by mistake shows.
    const everything = [...this.o.users.keys()].filter((u) => hasEveryRight(rightsOf(this.o.rights, u)));
    this.log.info('publisher listening', { url: this.url, nodeId, pageSize, relay: !this.o.noRelay, usersWithEveryRight: everything });
    return this.url;
  }

  /** The database's atomsync_meta, once it is known to be this node's. */
  private async readNodeMeta(pool: Pool): Promise<Record<string, string>> {
    const meta = await readMeta(pool).catch((err) => {
      throw explainDbError(err, this.o.dbUrl);
    });
    const nodeId = meta.node_id;
    if (!nodeId) throw new Error('this database has no node id; run `atomsync migrate --node-id ...` first');
    if (this.o.nodeId && this.o.nodeId !== nodeId) {
      throw new Error(
        `--node-id ${this.o.nodeId} does not match the database's node id ${nodeId}: give --node-id ${nodeId}, or the --db of node ${this.o.nodeId}`,
      );
    }
    return meta;
  }

  /** Serves `app` over HTTP, or HTTPS with --tls, and sets `url` to where it listens. */
  private async listen(app: RequestListener): Promise<void> {
    const server = (this.server = this.o.tls
      ? createHttpsServer({ key: readFileSync(this.o.tls.keyFile), cert: readFileSync(this.o.tls.certFile) }, app)
      : createHttpServer(app));
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? PUBLISHER_DEFAULTS.port, this.o.host ?? PUBLISHER_DEFAULTS.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `${this.o.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  }

  /** Starts the relay, which numbers the outbox's changes as events, and the snapshot worker. */
  private startPublishing(pool: Pool, registry: Registry, nodeId: string, newEvents: NewEvents): void {
    const onPublished = (n: number) => this.counters.relayPublished(n);
    this.relay = new Relay(pool, this.log.child({ part: 'relay' }), {
      nodeId,
      ...this.o.relay,
      onPublished,
      onEvents: (resources) => newEvents.published(resources),
      onLeading: (leading) => (newEvents.live = leading),
    });
    this.relayRun = this.relay.run();
    // Rows that predate the triggers (or asked for again): published among the live changes.
    const slog = this.log.child({ part: 'snapshot' });
    this.snapshot = new SnapshotWorker(pool, registry, slog, { nodeId, ...this.o.snapshot, onProgress: progressLogger(slog) });
    this.snapshotRun = this.snapshot.run();
  }

  async stop(): Promise<void> {
    // Held long polls are answered first (503), so closing the server waits for none of them.
    this.newEvents?.close();
    this.snapshot?.stop();
    this.relay?.stop();
    await this.snapshotRun;
    await this.relayRun;
    if (this.server) {
      const server = this.server;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await this.positions?.stop();
    await this.pool?.end().catch(() => undefined);
    if (this.url) this.log.info('publisher stopped'); // not after a start that failed: its error says it all
  }
}
