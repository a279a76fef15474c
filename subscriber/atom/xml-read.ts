// Untrusted XML text -> a small namespace-resolved element tree.
//
// Feed documents come from other nodes over the network, so this is the
// security boundary: a size cap, no DOCTYPE (hence no entity expansion, no
// external entities, no billion laughs), a well-formedness check, and only
// XML's five predefined entities plus character references are decoded
// (the reading itself is xml-scan.ts).
import { FeedParseError } from './parse-error.ts';
import { scanXml } from './xml-scan.ts';

export { decodeReferences } from './xml-scan.ts';

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

  try {
    return scanXml(text);
  } catch (e) {
    return fail(e instanceof FeedParseError ? e.message : `not XML: ${(e as Error).message}`);
  }
}
