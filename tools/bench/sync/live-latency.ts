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
  const pending = new PendingChanges();
  const changes = new NumberedChanges(clinic, ctx, names, Rng.from('bench', 'live', o.runId), o.patientShare, pending);
  const planned = Math.max(1, Math.round(o.rate * o.durationS));

  const startedAt = Date.now();
  let writing = true;
  const showProgress = () =>
    o.progress.update(
      `live: ${changes.done.length}/${planned} changes committed, ${changes.seenCount()} seen at HQ, ${pending.count()} not yet` +
        `${changes.failed ? `, ${changes.failed} failed` : ''}, ${round((Date.now() - startedAt) / 1000, 1)} s`,
    );
  const poller = watchHq(hq, pending, o, () => writing, showProgress);
  poller.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled

  let writesEndedAt = startedAt;
  const lateness: number[] = [];
  try {
    await writeOnSchedule(changes, { planned, intervalMs: 1000 / o.rate, startedAt, maxInFlight: o.maxInFlight }, lateness);
    writesEndedAt = Date.now();
  } finally {
    writing = false;
    await poller;
  }
  const endedAt = Date.now();
  o.progress.end();
  return summary(changes, { planned, lateness, pollMs: o.pollMs, polls: pending.polls, startedAt, writesEndedAt, endedAt });
}

/** Changes committed at the clinic and not yet seen at HQ, oldest first per name. */
class PendingChanges {
  readonly names = new Map<string, Change[]>();
  readonly patients = new Map<string, Change>();
  polls = 0;

  count(): number {
    return [...this.names.values()].reduce((n, l) => n + l.length, 0) + this.patients.size;
  }

  /** Asks HQ which pending changes it holds, and marks them seen now. */
  async poll(hq: Pool): Promise<void> {
    this.polls++;
    const nameKeys = [...this.names.keys()];
    const patientKeys = [...this.patients.keys()];
    const [nameRows, patientRows] = await Promise.all([
      nameKeys.length ? queryRows<{ uuid: string; m: string | null }>(hq, 'SELECT uuid, middle_name AS m FROM person_name WHERE uuid IN (?)', [nameKeys]) : [],
      patientKeys.length
        ? queryRows<{ uuid: string }>(hq, 'SELECT p.uuid FROM person p JOIN patient pt ON pt.patient_id = p.person_id WHERE p.uuid IN (?)', [patientKeys])
        : [],
    ]);
    const at = Date.now();
    for (const r of nameRows) {
      const m = TOKEN.exec(r.m ?? '');
      const list = this.names.get(r.uuid.toLowerCase());
      if (!m || !list) continue;
      const upTo = Number(m[1]);
      const left = list.filter((c) => c.index > upTo);
      for (const c of list) if (c.index <= upTo) c.seenAt = at;
      if (left.length) this.names.set(r.uuid.toLowerCase(), left);
      else this.names.delete(r.uuid.toLowerCase());
    }
    for (const r of patientRows) {
      const c = this.patients.get(r.uuid.toLowerCase());
      if (!c) continue;
      c.seenAt = at;
      this.patients.delete(r.uuid.toLowerCase());
    }
  }
}

/** Makes the clinic's numbered changes: a name edit, or now and then a new patient; counts what failed. */
class NumberedChanges {
  readonly done: Change[] = [];
  failed = 0;
  firstError: string | null = null;
  private readonly busyNames = new Set<string>();
  private patientChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clinic: Pool,
    private readonly ctx: Awaited<ReturnType<typeof openLiveContext>>,
    private readonly names: string[],
    private readonly rng: Rng,
    private readonly patientShare: number,
    private readonly pending: PendingChanges,
  ) {}

  seenCount(): number {
    return this.done.filter((c) => c.seenAt !== undefined).length;
  }

  async change(index: number): Promise<void> {
    const name = this.rng.chance(this.patientShare) ? null : this.pickName();
    try {
      if (name !== null) await this.editName(index, name);
      else await this.createPatient(index);
    } catch (err) {
      this.failed++;
      this.firstError ??= (err as Error).message;
    }
  }

  private async editName(index: number, name: string): Promise<void> {
    this.busyNames.add(name);
    try {
      await this.clinic.query('UPDATE person_name SET middle_name = ?, changed_by = 1, date_changed = UTC_TIMESTAMP() WHERE uuid = ?', [`bench-${index}`, name]);
    } finally {
      this.busyNames.delete(name);
    }
    const c: Change = { index, kind: 'name', commitAt: Date.now() };
    this.done.push(c);
    this.pending.names.set(name, [...(this.pending.names.get(name) ?? []), c]);
  }

  private async createPatient(index: number): Promise<void> {
    // New patients are registered one at a time, as the seed's live actions expect.
    const created = this.patientChain.catch(() => undefined).then(() => createPatient(this.clinic, this.ctx));
    this.patientChain = created;
    const { uuid } = await created;
    const c: Change = { index, kind: 'patient', commitAt: Date.now() };
    this.done.push(c);
    this.pending.patients.set(uuid.toLowerCase(), c);
  }

  /** A name no write is editing now (two writes to one name never overlap). */
  private pickName(): string | null {
    if (this.names.length === 0) return null;
    for (let tries = 0; tries < 8; tries++) {
      const u = this.rng.pick(this.names);
      if (!this.busyNames.has(u)) return u;
    }
    return this.names.find((u) => !this.busyNames.has(u)) ?? null;
  }
}

/** Polls HQ every pollMs while the clinic writes, then until every change is seen or seenTimeoutMs has passed. */
async function watchHq(hq: Pool, pending: PendingChanges, o: LiveOptions, writing: () => boolean, showProgress: () => void): Promise<void> {
  let deadline = Infinity;
  for (;;) {
    const t = Date.now();
    await pending.poll(hq);
    if (!writing()) {
      if (deadline === Infinity) deadline = Date.now() + o.seenTimeoutMs;
      if (pending.count() === 0 || Date.now() > deadline) return;
    }
    showProgress();
    await sleep(t + o.pollMs - Date.now());
  }
}

/** Change i is due at startedAt + i * interval: scheduled by the clock, not by the previous write's end. */
async function writeOnSchedule(
  writer: NumberedChanges,
  s: { planned: number; intervalMs: number; startedAt: number; maxInFlight: number },
  lateness: number[],
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < s.planned; i++) {
    await sleep(s.startedAt + i * s.intervalMs - Date.now());
    while (inFlight.size >= s.maxInFlight) await Promise.race(inFlight);
    lateness.push(Math.max(0, Date.now() - (s.startedAt + i * s.intervalMs)));
    const p = writer.change(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

function summary(
  writer: NumberedChanges,
  x: { planned: number; lateness: number[]; pollMs: number; polls: number; startedAt: number; writesEndedAt: number; endedAt: number },
): LiveResult {
  const done = writer.done;
  const latencies = (kind?: Change['kind']) => done.filter((c) => c.seenAt !== undefined && (!kind || c.kind === kind)).map((c) => c.seenAt! - c.commitAt);
  const seen = writer.seenCount();
  return {
    planned: x.planned,
    committed: done.length,
    failed: writer.failed,
    firstError: writer.firstError,
    seen,
    unseen: done.length - seen,
    nameEdits: done.filter((c) => c.kind === 'name').length,
    patientsCreated: done.filter((c) => c.kind === 'patient').length,
    latency: summarize(latencies()),
    nameLatency: summarize(latencies('name')),
    patientLatency: summarize(latencies('patient')),
    achievedRate: round((done.length * 1000) / Math.max(1, x.writesEndedAt - x.startedAt), 1),
    startLateness: summarize(x.lateness),
    pollMs: x.pollMs,
    polls: x.polls,
    startedAt: x.startedAt,
    endedAt: x.endedAt,
  };
}
