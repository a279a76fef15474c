// Plans a patient's program enrolments (HIV care, tuberculosis treatment) with their
// state changes and outcomes, as OpenMRS's program workflow records them.
import type { ConceptKey } from './concepts.ts';
import type { PatientRecordPlan, ProgramPlan } from './plan-record-types.ts';
import type { PatientPlan } from './plan-types.ts';
import { RECORD_RATES, at } from './record-context.ts';
import type { RecordContext } from './record-context.ts';
import { addDays, parseSqlDatetime, sqlDate, sqlDatetime } from './sql-time.ts';

/** A program enrolment from `start`, moving through `path` (state keys, each [key, days in it before the next]). */
function enrol(ctx: RecordContext, program: 'hiv' | 'tb', start: Date, until: Date, path: Array<[string, number]>, locationId: number): ProgramPlan {
  const { uuid } = ctx.draw;
  const plan: ProgramPlan = {
    uuid: uuid(), program, locationId, enrolledAt: sqlDatetime(start), completedAt: null, outcomeConceptId: null,
    audit: { createdAt: sqlDatetime(start) }, states: [],
  };
  let from = start;
  for (const [state, days] of path) {
    if (from > until) break;
    const prev = plan.states[plan.states.length - 1];
    if (prev) {
      // Changing state ends the previous one on the same day, as OpenMRS's transitionToState does.
      prev.endDate = sqlDate(from);
      prev.audit.changedAt = at(from, ctx.env);
    }
    plan.states.push({ uuid: uuid(), state, startDate: sqlDate(from), endDate: null, audit: { createdAt: at(from, ctx.env) } });
    from = addDays(from, days);
  }
  return plan;
}

export function programs(ctx: RecordContext, p: PatientPlan, until: Date, rec: PatientRecordPlan, tbAt: Date | null): void {
  const { rng } = ctx.draw;
  const { site, meta } = ctx.env;
  const first = p.visits[0] ? parseSqlDatetime(p.visits[0].startedAt) : parseSqlDatetime(p.audit.createdAt);
  const close = (plan: ProgramPlan, outcome: ConceptKey, when: Date) => {
    plan.completedAt = at(when, ctx.env);
    plan.outcomeConceptId = meta.concept[outcome];
    plan.audit.changedAt = at(when, ctx.env);
  };
  if (ctx.profile.hivPositive && rng.chance(RECORD_RATES.hivEnrolled)) {
    const path: Array<[string, number]> = rng.chance(0.6) ? [['onArt', 0]] : [['preArt', rng.int(7, 90)], ['onArt', 0]];
    const ending = rng.weighted<string | null>([[null, 18], ['transferredOut', 1], ['defaulted', 1]]);
    if (ending) {
      path[path.length - 1][1] = rng.int(60, 500);
      path.push([ending, 0]);
    }
    const plan = enrol(ctx, 'hiv', first, until, path, site.wards.ccc);
    const last = plan.states[plan.states.length - 1];
    if (last.state === 'transferredOut') close(plan, 'transferredOut', parseSqlDatetime(`${last.startDate} 12:00:00`));
    else if (p.dead && p.deathDate && p.deathDate.slice(0, 10) >= last.startDate) {
      const died = parseSqlDatetime(p.deathDate);
      last.endDate = sqlDate(died);
      last.audit.changedAt = p.deathDate;
      plan.states.push({ uuid: ctx.draw.uuid(), state: 'died', startDate: sqlDate(died), endDate: null, audit: { createdAt: p.deathDate } });
      close(plan, 'patientDied', died);
    }
    rec.programs.push(plan);
  }
  if (tbAt) {
    const plan = enrol(ctx, 'tb', tbAt, until, [['intensive', 56], ['continuation', 112], [rng.chance(0.6) ? 'cured' : 'completed', 0]], site.wards.opd);
    const last = plan.states[plan.states.length - 1];
    if (last.state === 'cured' || last.state === 'completed') close(plan, last.state === 'cured' ? 'cured' : 'treatmentComplete', parseSqlDatetime(`${last.startDate} 12:00:00`));
    rec.programs.push(plan);
  }
}
