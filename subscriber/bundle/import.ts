// Sync by file, the importing side. Every file is checked whole first (shared/bundle/format.ts):
// one that fails is refused with nothing of it applied. An acknowledgement moves what this node
// knows its peer holds. Bundles are applied per origin, in order of position, through the same
// stages as a feed (a Subscriber with the bundles as sources): dependencies first, upserts by
// uuid, conflicts, parked events and dead letters as over HTTP. The marker `bundle:<origin>`
// says how far the origin's changes are applied: a bundle wholly behind it changes nothing, one
// that starts beyond it is refused (one in between is missing), and one killed half-way resumes
// from the last batch committed. Then the acknowledgement is written.
import { writeFile, readFile } from 'node:fs/promises';
import { BundleRefusedError, decodeFile, encodeAck } from '../../shared/bundle/format.ts';
import type { AckHeader, BundleHeader, BundleBody } from '../../shared/bundle/format.ts';
import { recordAck } from '../../shared/bundle/peers.ts';
import { openPool } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { readMeta } from '../../shared/schema/migrate.ts';
import { MarkerStore } from '../marker-store.ts';
import { Subscriber } from '../subscriber.ts';
import { startProgressLines } from '../progress-lines.ts';
import { BundleSource, bundleFeedKey } from './bundle-source.ts';
import { heldStates, keepHeldStates } from './held-states.ts';

export interface ImportOptions {
  dbUrl: string;
  key: Buffer;
  files: string[];
  /** Where to write the acknowledgement (one per origin; more than one origin: `<file>.<origin>`). */
  ackOut?: string;
  log: Logger;
  say: (line: string) => void;
  /** The local users.user_id recorded as the changer where a state names none here. */
  auditUserId?: number;
  /**
   * Apply each resource's current state once, not every change to it (atomsync clone: a new
   * node loads the copy in bulk). The marker still ends at the bundles' last position, which is
   * always some resource's latest change.
   */
  collapse?: boolean;
  /** Entries applied together in one transaction; the subscriber's default when absent. */
  entryBatch?: number;
}

export interface ImportReport {
  refused: Array<{ file: string; why: string }>;
  acknowledged: Array<{ peer: string; to: number }>;
  imported: Array<{ origin: string; from: number; to: number; applied: number; pending: number; dead: number }>;
  unchanged: string[];
  acks: string[];
}

/** A file checked whole; its body is read again when it is applied, one at a time (a large export is many parts). */
interface Bundle {
  file: string;
  header: BundleHeader;
}

export async function importFiles(o: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { refused: [], acknowledged: [], imported: [], unchanged: [], acks: [] };
  const pool = openPool(o.dbUrl, { connectionLimit: 4 });
  try {
    const nodeId = (await readMeta(pool)).node_id;
    if (!nodeId) throw new Error("this database has no node id; run `atomsync migrate --node-id ...` first");
    const bundles = await readAll(o, nodeId, pool, report);
    const byOrigin = new Map<string, Bundle[]>();
    for (const b of bundles) byOrigin.set(b.header.origin, [...(byOrigin.get(b.header.origin) ?? []), b]);
    for (const [origin, list] of byOrigin) {
      const to = await importOrigin(o, pool, origin, list, report);
      if (o.ackOut) {
        const file = byOrigin.size === 1 ? o.ackOut : `${o.ackOut}.${origin}`;
        const last = list[list.length - 1].header;
        await writeFile(file, encodeAck(o.key, { origin: nodeId, peer: origin, to, exportId: last.exportId, createdAt: new Date().toISOString() }));
        report.acks.push(file);
        o.say(`acknowledgement for ${origin} (changes up to position ${to}) written to ${file}`);
      }
    }
    return report;
  } finally {
    await pool.end();
  }
}

/** Checks every file; applies acknowledgements at once and returns the bundles for this node. */
async function readAll(o: ImportOptions, nodeId: string, pool: Pool, report: ImportReport): Promise<Bundle[]> {
  const out: Bundle[] = [];
  const refuse = (file: string, why: string) => {
    report.refused.push({ file, why });
    o.say(`${file}: refused: ${why}`);
    o.log.warn('file refused', { file, why });
  };
  for (const file of o.files) {
    let d;
    try {
      d = decodeFile(file, await readFile(file), o.key);
    } catch (err) {
      if (err instanceof BundleRefusedError) refuse(file, err.why);
      else refuse(file, (err as Error).message);
      continue;
    }
    if (d.kind === 'ack') {
      const h: AckHeader = d.header;
      if (h.peer !== nodeId) refuse(file, `it acknowledges changes of ${h.peer}, and this node is ${nodeId}`);
      else {
        const state = await recordAck(pool, h.origin, h.to);
        report.acknowledged.push({ peer: h.origin, to: h.to });
        o.say(`${file}: ${h.origin} holds this node's changes up to position ${h.to} (acknowledged up to ${state.ackedTo})`);
      }
      continue;
    }
    const h = d.header;
    if (h.peer !== nodeId) refuse(file, `it is for node ${h.peer}, and this node is ${nodeId}`);
    else if (h.origin === nodeId) refuse(file, 'it was exported by this node itself');
    else out.push({ file, header: h });
  }
  return out;
}

/** Applies one bundle through a subscriber whose source it is; keeps the states its parked events need. */
async function applyBundle(o: ImportOptions, pool: Pool, origin: string, body: BundleBody): Promise<{ applied: number; pending: number; dead: number }> {
  const key = bundleFeedKey(origin);
  const states = await heldStates(pool, key);
  for (const r of body.resources) states.set(`${r.resource}/${r.uuid.toLowerCase()}`, r.rep);
  let events = body.events.sort((a, b) => a.seq - b.seq);
  if (o.collapse) {
    const latest = new Map(events.map((e) => [`${e.resource}/${e.uuid.toLowerCase()}`, e.seq]));
    events = events.filter((e) => latest.get(`${e.resource}/${e.uuid.toLowerCase()}`) === e.seq);
  }
  const sub = new Subscriber({ dbUrl: o.dbUrl, feeds: [], local: [{ source: new BundleSource(origin, events), states }], auditUserId: o.auditUserId, entryBatch: o.entryBatch }, o.log);
  await sub.start();
  const stopLines = startProgressLines((now) => sub.progress(now), o.say);
  try {
    return await sub.once();
  } finally {
    stopLines();
    await sub.stop();
    await sub.close();
    await keepHeldStates(pool, key, states);
  }
}

/** Applies one origin's bundles in order; returns the position its changes are applied up to. */
async function importOrigin(o: ImportOptions, pool: Pool, origin: string, list: Bundle[], report: ImportReport): Promise<number> {
  const key = bundleFeedKey(origin);
  const start = (await new MarkerStore(pool).get(key))?.lastPosition ?? 0;
  list.sort((a, b) => a.header.from - b.header.from || a.header.to - b.header.to);
  const chain: Bundle[] = [];
  let pos = start;
  for (const b of list) {
    const h = b.header;
    if (h.to <= pos) {
      report.unchanged.push(b.file);
      o.say(`${b.file}: already imported (changes of ${origin} up to ${h.to}; this node has them up to ${pos}): nothing to do`);
    } else if (h.from > pos) {
      const why = `it starts after position ${h.from} of ${origin}, and this node has that node's changes only up to ${pos}: import the bundle(s) before it first (an earlier export, or an earlier part of this one)`;
      report.refused.push({ file: b.file, why });
      o.say(`${b.file}: refused: ${why}`);
      o.log.warn('bundle refused', { file: b.file, why });
    } else {
      chain.push(b);
      pos = h.to;
    }
  }
  if (chain.length === 0) return start;
  const r = { applied: 0, pending: 0, dead: 0 };
  for (const b of chain) {
    const d = decodeFile(b.file, await readFile(b.file), o.key);
    if (d.kind !== 'bundle') throw new Error(`${b.file} changed while it was imported`);
    const one = await applyBundle(o, pool, origin, d.body);
    r.applied += one.applied;
    r.pending = one.pending;
    r.dead = one.dead;
  }
  const end = (await new MarkerStore(pool).get(key))?.lastPosition ?? start;
  report.imported.push({ origin, from: start, to: end, ...r });
  o.say(`${origin}: changes ${start + 1} to ${end} imported: ${r.applied} applied, ${r.pending} waiting for what they need, ${r.dead} dead letters`);
  return end;
}
