// The `v` parameter of OpenMRS's REST API: `ref`, `default`, `full`, or
// `custom:(prop,prop:ref,prop:(sub,sub),...)`, parsed into a Rep. Pure, so the
// parser is tested without a database. The grammar is OpenMRS's own
// (ConversionUtil.getCustomRepresentationDescription): commas at the top level
// separate properties; after `name:` comes `ref`, `full`, `default` or a nested
// `(...)`; a property without `:` is shown at `default`; `links` asks for the
// self and default links. Unlike OpenMRS, a malformed spec is a clear 400, not
// a half-parsed representation.

export type Level = 'ref' | 'default' | 'full';

export interface CustomProp {
  name: string;
  /** How an object-valued property is shown; `default` when the spec does not say. */
  rep: Rep;
}

export interface CustomRep {
  custom: CustomProp[];
  /** `links` was asked for: self and default links, as OpenMRS adds them. */
  links: boolean;
}

export type Rep = Level | CustomRep;

/** A `v` that cannot be read. Carries the spec and where it went wrong. */
export class RepresentationSpecError extends Error {
  override name = 'RepresentationSpecError';
  readonly status = 400;
  constructor(
    message: string,
    readonly spec: string,
  ) {
    super(message);
  }
}

/** Longest spec accepted, and deepest nesting: far beyond any real client, well short of harm. */
export const MAX_SPEC_CHARS = 2000;
export const MAX_SPEC_DEPTH = 8;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const LEVELS: Record<string, Level> = { ref: 'ref', default: 'default', full: 'full' };

/**
 * The representation a `v` value asks for. `undefined` (no `v`) is `default`, as in OpenMRS.
 * Level names are case-insensitive (`v=FULL` works in OpenMRS too). Throws RepresentationSpecError.
 */
export function parseRep(v: string | undefined): Rep {
  if (v === undefined) return 'default';
  const level = LEVELS[v.toLowerCase()];
  if (level) return level;
  if (!v.toLowerCase().startsWith('custom:')) {
    throw new RepresentationSpecError(`v must be ref, default, full, sync or custom:(...), not "${preview(v)}"`, v);
  }
  if (v.length > MAX_SPEC_CHARS) throw new RepresentationSpecError(`custom representation longer than ${MAX_SPEC_CHARS} characters`, v);
  const body = v.slice('custom:'.length);
  if (!body.startsWith('(') || !body.endsWith(')')) {
    throw new RepresentationSpecError('a custom representation is custom:(prop,prop,...) in parentheses', v);
  }
  return parseList(body.slice(1, -1), v, 1);
}

function parseList(text: string, spec: string, depth: number): CustomRep {
  if (depth > MAX_SPEC_DEPTH) throw new RepresentationSpecError(`custom representation nested deeper than ${MAX_SPEC_DEPTH}`, spec);
  const out: CustomRep = { custom: [], links: false };
  const seen = new Set<string>();
  for (const item of splitTopLevel(text, spec)) {
    const colon = item.indexOf(':');
    const name = (colon < 0 ? item : item.slice(0, colon)).trim();
    if (!NAME.test(name)) {
      throw new RepresentationSpecError(name === '' ? 'empty property name in custom representation' : `"${preview(name)}" is not a property name`, spec);
    }
    if (seen.has(name)) throw new RepresentationSpecError(`property "${name}" named twice in custom representation`, spec);
    seen.add(name);
    if (colon < 0 && name === 'links') {
      out.links = true;
      continue;
    }
    out.custom.push({ name, rep: colon < 0 ? 'default' : subRep(item.slice(colon + 1).trim(), spec, depth) });
  }
  if (out.custom.length === 0 && !out.links) throw new RepresentationSpecError('custom representation names no property', spec);
  return out;
}

function subRep(text: string, spec: string, depth: number): Rep {
  if (text.startsWith('(')) {
    if (!text.endsWith(')')) throw new RepresentationSpecError(`unbalanced parentheses near "${preview(text)}"`, spec);
    return parseList(text.slice(1, -1), spec, depth + 1);
  }
  const level = LEVELS[text.toLowerCase()];
  if (!level) throw new RepresentationSpecError(`"${preview(text)}" is not ref, default, full or (...)`, spec);
  return level;
}

/** Splits at commas outside parentheses; refuses unbalanced parentheses. */
function splitTopLevel(text: string, spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) throw new RepresentationSpecError('unbalanced parentheses in custom representation', spec);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new RepresentationSpecError('unbalanced parentheses in custom representation', spec);
  parts.push(text.slice(start));
  return parts;
}

const preview = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

export const isLevel = (r: Rep): r is Level => typeof r === 'string';
