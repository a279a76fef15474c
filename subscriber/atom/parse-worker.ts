// The body of the feed-parsing thread (see parse-thread.ts): documents in, pages
// or FeedParseError details out. Nothing else runs here.
import { parentPort } from 'node:worker_threads';
import { parseFeedPage } from './parse.ts';
import type { ParseRequest, ParseReply } from './parse-thread.ts';

const port = parentPort;
if (!port) throw new Error('parse-worker runs as a worker thread only');
port.on('message', (m: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: m.id, page: parseFeedPage(m.xml, { url: m.url, maxBytes: m.maxBytes }) };
  } catch (err) {
    const e = err as Error & { url?: string; entryIndex?: number; entryId?: string };
    reply = { id: m.id, error: { name: e.name, message: e.message, url: e.url, entryIndex: e.entryIndex, entryId: e.entryId } };
  }
  port.postMessage(reply);
});
