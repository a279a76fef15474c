// An obs's polymorphic value: as OpenMRS's REST `value` property (an object, a number,
// a date...) and as the string its display shows, both decided by the question
// concept's datatype.
import type { Rep } from './custom-spec.ts';
import { HHmm, ddMMyyyy, ddMMyyyyHHmm, javaDecimal, javaIntCast, yyyyMMdd } from './java-format.ts';
import { refValue } from './render.ts';
import { labelOf } from './render-node.ts';
import type { Node, Obj, RenderContext } from './render-node.ts';

/** What an obs's question concept says about its value: the datatype's HL7 code and ConceptNumeric.allowDecimal. */
async function conceptFacts(obs: Obj, ctx: RenderContext): Promise<{ hl7: string | null; allowDecimal: boolean | null }> {
  const c = obs.concept as Obj | null;
  const concept = c && ctx.loader.offers('concept') ? await ctx.loader.rep('concept', String(c.uuid)) : null;
  const dt = concept?.datatype as Obj | null | undefined;
  const datatype = dt && ctx.loader.offers('conceptdatatype') ? await ctx.loader.rep('conceptdatatype', String(dt.uuid)) : null;
  const allow = concept?.allowDecimal;
  return { hl7: (datatype?.hl7Abbreviation as string | null) ?? null, allowDecimal: typeof allow === 'boolean' ? allow : null };
}

/** Obs.getValueAsString(Locale.ENGLISH) (OpenMRS 2.x), with the server in UTC. */
export async function obsValueAsString(obs: Obj, ctx: RenderContext, depth: number): Promise<string> {
  const { hl7, allowDecimal } = await conceptFacts(obs, ctx);
  const num = obs.valueNumeric as number | null;
  const dt = obs.valueDatetime as string | null;
  const complex = obs.valueComplex as string | null;
  switch (hl7) {
    case 'BIT':
      return num == null ? '' : String(num === 1);
    case 'CWE':
      return labelOf(obs.valueCoded) ?? '';
    case 'NM':
    case 'SN':
      if (num == null) return '';
      if (allowDecimal === false) return javaIntCast(num);
      break; // as OpenMRS does: on to the datatype-less rules below
    case 'DT':
      return ddMMyyyy(dt) ?? '';
    case 'TM':
      return HHmm(dt) ?? '';
    case 'TS':
      return ddMMyyyyHHmm(dt) ?? '';
    case 'ST':
      return String(obs.valueText ?? null); // Java's string concatenation writes a missing text as "null"
    case 'ED':
      if (complex != null) return complexTitle(complex);
  }
  return untypedValueAsString(obs, ctx, depth);
}

/** getValueAsString's rules for a value its datatype did not decide: the first value set, else the group's members. */
async function untypedValueAsString(obs: Obj, ctx: RenderContext, depth: number): Promise<string> {
  const num = obs.valueNumeric as number | null;
  const dt = obs.valueDatetime as string | null;
  const complex = obs.valueComplex as string | null;
  if (num != null) return javaDecimal(num);
  if (obs.valueCoded != null) return ''; // OpenMRS shows the coded name here only when valueCodedName is set, which is not synced
  if (dt != null) return ddMMyyyy(dt) ?? '';
  if (obs.valueText != null) return String(obs.valueText);
  if (depth < 4 && ctx.loader.offers('obs')) {
    const members = await ctx.loader.children({ resource: 'obs', via: 'obsGroup', active: true }, String(obs.uuid));
    if (members.length) {
      const reps = await Promise.all(members.map((u) => ctx.loader.rep('obs', u)));
      const parts = await Promise.all(reps.filter((r): r is Obj => r !== null).map((r) => obsValueAsString(r, ctx, depth + 1)));
      return parts.join(', ');
    }
  }
  return complex != null ? complexTitle(complex) : '';
}

/** The title part of a complex value: before the first '|'. */
const complexTitle = (v: string) => v.split('|').find((x) => x !== '')?.trim() ?? '';

/** ObsResource1_8.getValue, with 1_11's whole numbers for concepts that allow no decimals. */
export async function obsValue(node: Node, rep: Rep, ctx: RenderContext): Promise<unknown> {
  const obs = node.row;
  const { hl7, allowDecimal } = await conceptFacts(obs, ctx);
  if (hl7 === 'ED') return { display: 'raw file', links: { rel: 'self', uri: `${node.uri}/value` } };
  if (ctx.loader.offers('obs')) {
    const members = await ctx.loader.children({ resource: 'obs', via: 'obsGroup', active: false }, String(obs.uuid));
    if (members.length) return null;
  }
  if (obs.valueDatetime != null) return hl7 === 'DT' ? yyyyMMdd(obs.valueDatetime as string) : obs.valueDatetime;
  if (obs.valueDrug != null) return refValue(obs.valueDrug, 'drug', rep, ctx);
  if (obs.valueCoded != null) return refValue(obs.valueCoded, 'concept', rep, ctx);
  if (obs.valueComplex != null) return obs.valueComplex;
  if (obs.valueText != null) return obs.valueText;
  const num = obs.valueNumeric as number | null;
  if (num != null) return allowDecimal === false ? Math.trunc(num) : num;
  return null;
}
