// Terminal rendering for `atomsync duplicates`: a candidate as one list line, and two patients
// side by side. Pure. The side-by-side shows names and identifiers: it is the review screen the
// operator asked for; nothing here is ever written to a log.
import { describeReasons } from './classify.ts';
import type { PatientDetails } from './patient-details.ts';
import type { StoredCandidate } from './store.ts';

/** `active`: the uuids still non-voided patients here; a pair naming another is flagged. */
export function listLine(c: StoredCandidate, active?: ReadonlySet<string>): string {
  const state = c.status === 'open' ? '' : `  ${c.status}${c.reviewedAt ? ` ${c.reviewedAt}` : ''}`;
  const gone = active ? [c.patientA, c.patientB].map((u, i) => (active.has(u) ? '' : 'AB'[i])).join('') : '';
  const flag = gone ? `  (patient ${gone.split('').join(' and ')} voided or gone)` : '';
  return `#${c.id}  ${c.patientA}  ${c.patientB}  ${c.class.padEnd(8)}  ${c.score.toFixed(2).padStart(6)}${state}${flag}`;
}

function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/** Rows of (field, left values, right values); a field with several values takes several lines. */
function rows(a: PatientDetails, b: PatientDetails): Array<[string, string[], string[]]> {
  return [
    ['uuid', [a.uuid], [b.uuid]],
    ['names', a.names, b.names],
    ['identifiers', a.identifiers, b.identifiers],
    ['birth date', [a.birthdate], [b.birthdate]],
    ['gender', [a.gender], [b.gender]],
    ['addresses', a.addresses, b.addresses],
    ['phones', a.phones, b.phones],
    ['last visits', a.visits, b.visits],
  ];
}

export function sideBySide(c: StoredCandidate, a: PatientDetails, b: PatientDetails): string[] {
  const out = [
    `#${c.id}  ${c.class} match, score ${c.score.toFixed(2)}, ${c.status}${c.reviewedAt ? ` (reviewed ${c.reviewedAt})` : ''}, found ${c.detectedAt}`,
    `why: ${describeReasons(c.reasons) || 'nothing in common'}`,
  ];
  for (const [side, p] of [['A', a], ['B', b]] as const) {
    if (!p.found) out.push(`patient ${side} (${p.uuid}) is no longer in this database`);
    else if (p.voided) out.push(`patient ${side} is voided`);
  }
  const col = 40;
  out.push('', `  ${cut('', 12)}  ${cut('patient A', col)}  patient B`);
  for (const [field, left, right] of rows(a, b)) {
    const n = Math.max(1, left.length, right.length);
    for (let i = 0; i < n; i++) {
      const l = left[i] || (i === 0 ? '-' : '');
      const r = right[i] || (i === 0 ? '-' : '');
      const differs = i === 0 && left.join('|').toLowerCase() !== right.join('|').toLowerCase() && field !== 'uuid' ? '*' : ' ';
      out.push(`${differs} ${cut(i === 0 ? field : '', 12)}  ${cut(l, col)}  ${r}`);
    }
  }
  return out;
}
