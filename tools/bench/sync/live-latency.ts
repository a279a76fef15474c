// Phase 2: with HQ caught up and its subscriber running, the clinic works at a
// steady rate and each change is timed from its commit at the clinic to the
// moment HQ is seen holding it.
//
// Changes are mostly one-statement updates of a patient's name (middle_name set
// to a token naming the change, date_changed = now), plus some new patients.
// Two writes to one name never overlap, so a name's changes commit in the order
// of their numbers; HQ syncs state, not statements, so a name holding change j
// also proves every earlier change i <= j of that name arrived (or was
// superseded by j, which is the same thing to a reader at HQ).
import { queryRows } from '../../../shared/db.ts';
import type { Pool } from '../../../shared/db.ts';
import { createPatient, openLiveContext, Rng } from '../../seed/index.ts';
import type { Progress } from './progress.ts';
import { round, sleep, summarize } from '../stats.ts';
import type { LatencySummary } from '../stats.ts';

export interface LiveOptions {
  /** Changes per second at the clinic. */
  rate: number;
  durationS: number;
  /** Share of changes that register a new patient; the rest edit a name. */
  patientShare: number;
  /** Writes in flight at once (a slow commit must not hold back the schedule). */
  maxInFlight: number;
  /** Interval of HQ polls; it adds up to this much to each latency. */
  pollMs: number;
  /** Time allowed after the last write for HQ to show every change. */
  seenTimeoutMs: number;
  runId: string;
  progress: Progress;
}

export interface LiveResult {
  planned: number;
  committed: number;
  failed: number;
  firstError: string | null;
  seen: number;
  unseen: number;
  nameEdits: number;
  patientsCreated: number;
  latency: LatencySummary;
  nameLatency: LatencySummary;
  patientLatency: LatencySummary;
  /** Committed changes per second over the writing window. */
  achievedRate: number;
  /** How late writes started against their schedule (a steady rate keeps this near 0). */
  startLateness: LatencySummary;
  pollMs: number;
  polls: number;
  startedAt: number;
  endedAt: number;
}

interface Change {
  index: number;
  kind: 'name' | 'patient';
  commitAt: number;
  seenAt?: number;
}

const TOKEN = /^bench-([0-9]+)$/;

export async function liveLatency(clinic: Pool, hq: Pool, o: LiveOptions): Promise<LiveResult> {
  const names = (
    await queryRows<{ uuid: string }>(
      clinic,
      'SELECT pn.uuid FROM person_name pn JOIN patient pt ON pt.patient_id = pn.person_id WHERE pn.voided = 0 AND pt.voided = 0',
    )
  ).map((r) => r.uuid.toLowerCase());
  const ctx = await openLiveContext(clinic, { seed: 'bench', stream: `bench-${o.runId}` });
  const rng = Rng.from('bench', 'live', o.runId);
  const planned = Math.max(1, Math.round(o.rate * o.durationS));
  const intervalMs = 1000 / o.rate;

  const done: Change[] = [];
  const pendingNames = new Map<string, Change[]>(); // committed, not yet seen at HQ, oldest first
  const pendingPatients = new Map<string, Change>();
  const busyNames = new Set<string>();
  const lateness: number[] = [];
  let failed = 0;
  let firstError: string | null = null;
  let patientChain: Promise<unknown> = Promise.resolve();
  let writing = true;
  let polls = 0;

  const pickName = (): string | null => {
    if (names.length === 0) return null;
    for (let tries = 0; tries < 8; tries++) {
      const u = rng.pick(names);
      if (!busyNames.has(u)) return u;
    }
    return names.find((u) => !busyNames.has(u)) ?? null;
  };

  const change = async (index: number): Promise<void> => {
    const name = rng.chance(o.patientShare) ? null : pickName();
    try {
      if (name !== null) {
        busyNames.add(name);
        try {
          await clinic.query('UPDATE person_name SET middle_name = ?, changed_by = 1, date_changed = UTC_TIMESTAMP() WHERE uuid = ?', [`bench-${index}`, name]);
        } finally {
          busyNames.delete(name);
        }
        const c: Change = { index, kind: 'name', commitAt: Date.now() };
        done.push(c);
        pendingNames.set(name, [...(pendingNames.get(name) ?? []), c]);
      } else {
        // New patients are registered one at a time, as the seed's live actions expect.
        const created = patientChain.catch(() => undefined).then(() => createPatient(clinic, ctx));
        patientChain = created;
        const { uuid } = await created;
        const c: Change = { index, kind: 'patient', commitAt: Date.now() };
        done.push(c);
        pendingPatients.set(uuid.toLowerCase(), c);
      }
    } catch (err) {
      failed++;
      firstError ??= (err as Error).message;
    }
  };

  const poll = async (): Promise<void> => {
    polls++;
    const nameKeys = [...pendingNames.keys()];
    const patientKeys = [...pendingPatients.keys()];
    const [nameRows, patientRows] = await Promise.all([
      nameKeys.length ? queryRows<{ uuid: string; m: string | null }>(hq, 'SELECT uuid, middle_name AS m FROM person_name WHERE uuid IN (?)', [nameKeys]) : [],
      patientKeys.length
        ? queryRows<{ uuid: string }>(hq, 'SELECT p.uuid FROM person p JOIN patient pt ON pt.patient_id = p.person_id WHERE p.uuid IN (?)', [patientKeys])
        : [],
    ]);
    const at = Date.now();
    for (const r of nameRows) {
      const m = TOKEN.exec(r.m ?? '');
      const list = pendingNames.get(r.uuid.toLowerCase());
      if (!m || !list) continue;
      const upTo = Number(m[1]);
      const left = list.filter((c) => c.index > upTo);
      for (const c of list) if (c.index <= upTo) c.seenAt = at;
      if (left.length) pendingNames.set(r.uuid.toLowerCase(), left);
      else pendingNames.delete(r.uuid.toLowerCase());
    }
    for (const r of patientRows) {
      const c = pendingPatients.get(r.uuid.toLowerCase());
      if (!c) continue;
      c.seenAt = at;
      pendingPatients.delete(r.uuid.toLowerCase());
    }
  };

  const pendingCount = () => [...pendingNames.values()].reduce((n, l) => n + l.length, 0) + pendingPatients.size;
  const seenCount = () => done.filter((c) => c.seenAt !== undefined).length;

  const startedAt = Date.now();
  let writesEndedAt = startedAt;
  const poller = (async () => {
    let deadline = Infinity;
    for (;;) {
      const t = Date.now();
      await poll();
      if (!writing) {
        if (deadline === Infinity) deadline = Date.now() + o.seenTimeoutMs;
        if (pendingCount() === 0 || Date.now() > deadline) return;
      }
      o.progress.update(
        `live: ${done.length}/${planned} changes committed, ${seenCount()} seen at HQ, ${pendingCount()} not yet` +
          `${failed ? `, ${failed} failed` : ''}, ${round((Date.now() - startedAt) / 1000, 1)} s`,
      );
      await sleep(t + o.pollMs - Date.now());
    }
  })();
  poller.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled

  try {
    // Change i is due at startedAt + i * interval: scheduled by the clock, not by the previous write's end.
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < planned; i++) {
      await sleep(startedAt + i * intervalMs - Date.now());
      while (inFlight.size >= o.maxInFlight) await Promise.race(inFlight);
      lateness.push(Math.max(0, Date.now() - (startedAt + i * intervalMs)));
      const p = change(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    writesEndedAt = Date.now();
  } finally {
    writing = false;
    await poller;
  }
  const endedAt = Date.now();
  o.progress.end();

  const latencies = (kind?: Change['kind']) => done.filter((c) => c.seenAt !== undefined && (!kind || c.kind === kind)).map((c) => c.seenAt! - c.commitAt);
  const seen = seenCount();
  return {
    planned,
    committed: done.length,
    failed,
    firstError,
    seen,
    unseen: done.length - seen,
    nameEdits: done.filter((c) => c.kind === 'name').length,
    patientsCreated: done.filter((c) => c.kind === 'patient').length,
    latency: summarize(latencies()),
    nameLatency: summarize(latencies('name')),
    patientLatency: summarize(latencies('patient')),
    achievedRate: round((done.length * 1000) / Math.max(1, writesEndedAt - startedAt), 1),
    startLateness: summarize(lateness),
    pollMs: o.pollMs,
    polls,
    startedAt,
    endedAt,
  };
}
