// Properties computed from the row rather than read from it (Source `computed` in
// table-types.ts): a person's age, an obs's value, form field parts, a concept's name.
import type { Rep } from './custom-spec.ts';
import { ageOn } from './java-format.ts';
import { obsValue } from './obs-value.ts';
import { render } from './render.ts';
import { subNode } from './render-node.ts';
import type { Node, Obj, RenderContext } from './render-node.ts';
import { TABLES } from './tables.ts';

/** Concept.getName(): the preferred English name, else a fully specified one, else any, as a concept name. */
function conceptNameRow(row: Obj, type?: string): Obj | undefined {
  const names = ((row.names as Obj[] | undefined) ?? []).filter((n) => n.voided !== true && (!type || n.conceptNameType === type));
  const en = (n: Obj) => typeof n.locale === 'string' && n.locale.toLowerCase().startsWith('en');
  return (
    names.find((n) => en(n) && n.localePreferred === true) ??
    names.find((n) => en(n) && n.conceptNameType === 'FULLY_SPECIFIED') ??
    names.find((n) => en(n)) ??
    names.find((n) => n.localePreferred === true) ??
    names[0]
  );
}

/** A concept's name (of `type`, any when not given) rendered as its conceptname sub-resource. */
function conceptName(n: Node, rep: Rep, ctx: RenderContext, type?: string): Promise<Obj> | null {
  const name = conceptNameRow(n.row, type);
  return name ? render(subNode(n, TABLES.conceptname, name), rep, ctx) : null;
}

/** The path or the namespace part of an obs's formFieldPath ("namespace^path"). */
function formField(v: unknown, part: 'path' | 'namespace'): string | null {
  if (typeof v !== 'string' || v.trim() === '') return (v as string | null) ?? null;
  const sep = v.indexOf('^');
  if (part === 'namespace') return sep <= 0 ? null : v.slice(0, sep);
  if (sep < 0) return v;
  return sep === v.length - 1 ? null : v.slice(sep + 1);
}

export const COMPUTED: Record<string, (node: Node, rep: Rep, ctx: RenderContext) => unknown> = {
  age: (n, _r, ctx) => ageOn(n.row.birthdate as string, n.row.deathDate as string, ctx.today),
  obsValue: (n, rep, ctx) => obsValue(n, rep, ctx),
  formFieldPath: (n) => formField(n.row.formFieldPath, 'path'),
  formFieldNamespace: (n) => formField(n.row.formFieldPath, 'namespace'),
  conceptName: (n, rep, ctx) => conceptName(n, rep, ctx),
  conceptShortName: (n, rep, ctx) => conceptName(n, rep, ctx, 'SHORT'),
};
