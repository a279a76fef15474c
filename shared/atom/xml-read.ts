// Untrusted XML text -> a small namespace-resolved element tree.
//
// Feed documents come from other nodes over the network, so this is the
// security boundary: a size cap, no DOCTYPE (hence no entity expansion, no
// external entities, no billion laughs), a well-formedness check, and only
// XML's five predefined entities plus character references are decoded.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FeedParseError } from './errors.ts';

export interface XmlElement {
  /** Namespace URI ('' for none). */
  ns: string;
  local: string;
  /** Name as written, with its prefix. */
  qname: string;
  /** Attributes by name as written, values decoded; namespace declarations left out. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside this element (text and CDATA, in order), decoded. */
  text: string;
}

export interface ReadXmlOptions {
  maxBytes: number;
  url?: string;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

// preserveOrder keeps every element in an array (so entry, link, category and
// anything else that repeats is always a list) and keeps text and CDATA in
// document order. processEntities is off: fast-xml-parser would leave numeric
// character references undecoded, so decodeReferences does it, in one pass.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Trims each text node (CDATA is kept as written). Faster than keeping the
  // whitespace between elements; the cost is that spaces between a text node
  // and an adjacent CDATA section are lost, which no Atom value needs.
  trimValues: true,
  jPath: false,
});

/** Parses a document and returns its root element. Throws FeedParseError. */
export function readXml(xml: unknown, o: ReadXmlOptions): XmlElement {
  const fail = (msg: string): never => {
    throw new FeedParseError(msg, { url: o.url });
  };
  if (typeof xml !== 'string') fail(`not XML: expected a string, got ${typeof xml}`);
  let text = xml as string;
  // Cheap length bound first (a UTF-16 unit is at least one UTF-8 byte), then the exact count.
  if (text.length > o.maxBytes || Buffer.byteLength(text, 'utf8') > o.maxBytes) {
    fail(`document larger than ${o.maxBytes} bytes`);
  }
  // Checked on the raw text, before any parser sees it.
  if (/<!DOCTYPE/i.test(text)) fail('DOCTYPE not allowed');
  if (/<!ENTITY/i.test(text)) fail('ENTITY declarations not allowed');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') fail('not XML: the document is empty');

  const valid = XMLValidator.validate(text);
  if (valid !== true) fail(`not XML: ${describe(valid.err)}`);

  let tree: unknown[];
  try {
    tree = parser.parse(text) as unknown[];
  } catch (e) {
    return fail(`not XML: ${(e as Error).message}`);
  }
  const roots = tree.filter((n) => elementName(n as Node) !== undefined);
  if (roots.length !== 1) fail(`not XML: expected one root element, found ${roots.length}`);
  try {
    return toElement(roots[0] as Node, elementName(roots[0] as Node)!, new Map([['xml', XML_NS]]));
  } catch (e) {
    return fail(e instanceof FeedParseError ? e.message : `not XML: ${(e as Error).message}`);
  }
}

type Node = Record<string, unknown>;

function elementName(n: Node): string | undefined {
  for (const k of Object.keys(n)) {
    if (k !== ':@' && k !== '#text' && k !== '#cdata' && !k.startsWith('?')) return k;
  }
  return undefined;
}

function toElement(n: Node, qname: string, parentScope: Map<string, string>): XmlElement {
  const rawAttrs = n[':@'] as Record<string, string> | undefined;
  let scope = parentScope;
  const attrs: Record<string, string> = Object.create(null);
  for (const key of rawAttrs ? Object.keys(rawAttrs) : []) {
    const raw = rawAttrs![key];
    const name = key.slice(2); // '@_'
    if (String(raw).includes('<')) throw new FeedParseError(`not XML: "<" in the value of attribute ${name} of <${qname}>`);
    const value = decodeReferences(String(raw));
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      scope.set(name === 'xmlns' ? '' : name.slice(6), value);
    } else {
      attrs[name] = value;
    }
  }
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? '' : qname.slice(0, colon);
  // An undeclared prefix gets a namespace no reader looks for, so the element is ignored, not misread.
  const ns = scope.get(prefix) ?? (prefix ? `urn:undeclared-prefix:${prefix}` : '');
  const el: XmlElement = { ns, local: qname.slice(colon + 1), qname, attrs, children: [], text: '' };
  for (const child of (n[qname] ?? []) as Node[]) {
    if ('#text' in child) el.text += decodeReferences(String(child['#text']));
    else if ('#cdata' in child) el.text += ((child['#cdata'] as Node[]) ?? []).map((t) => String(t['#text'] ?? '')).join('');
    else {
      const name = elementName(child);
      if (name !== undefined) el.children.push(toElement(child, name, scope));
    }
  }
  return el;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*)?(;)?/g;

/** Decodes the five predefined entities and character references; anything else is an error. */
export function decodeReferences(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(REFERENCE, (match, ref: string | undefined, semi: string | undefined) => {
    if (!ref || !semi) throw new FeedParseError(`not XML: "&" that does not start a reference in ${JSON.stringify(s.slice(0, 40))}`);
    if (ref[0] !== '#') {
      const v = PREDEFINED[ref];
      if (v === undefined) throw new FeedParseError(`not XML: undefined entity &${ref}; (no entities are allowed)`);
      return v;
    }
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!isXmlChar(code)) throw new FeedParseError(`not XML: character reference ${match} is not an XML character`);
    return String.fromCodePoint(code);
  });
}

function isXmlChar(c: number): boolean {
  return (
    c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)
  );
}

function describe(err: { code: string; msg: string; line: number; col?: number }): string {
  // The validator reports a truncated document as "Invalid '["feed","entry"]' found."
  const open = /^Invalid '\[(.*)\]' found\.?$/s.exec(err.msg);
  if (open) {
    const names = open[1]!.split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
    return `the document ends inside <${names.join('> <')}> (truncated?)`;
  }
  return `${err.msg} (line ${err.line}${err.col ? `, column ${err.col}` : ''})`;
}
