// Feed documents parsed on a worker thread. Reading XML is the largest single cost
// of a catch-up on the subscriber's event loop (about a fifth of it), and the same
// loop builds and sends the batch writes, which are the pipeline's narrow part: on
// a second core the two overlap. It also keeps a hostile document's parse off the
// loop that serves every other feed. The thread is started on first use, does not
// keep the process alive, and is started again if it dies; the document being
// parsed then fails (the feed backs off and reads it again), nothing else does.
// A thread that cannot start at all sends parsing back to the main thread.
import { Worker } from 'node:worker_threads';
import type { ParsedPage } from '../../shared/feed-types.ts';
import { FeedParseError } from './parse-error.ts';
import { parseFeedPage } from './parse.ts';
import type { ParseFeedOptions } from './parse.ts';

export interface ParseRequest {
  id: number;
  xml: string;
  url?: string;
  maxBytes?: number;
}

export type ParseReply =
  | { id: number; page: ParsedPage }
  | { id: number; error: { name: string; message: string; url?: string; entryIndex?: number; entryId?: string } };

/** Heap allowed to the parsing thread: documents are capped at MAX_FEED_BYTES (5 MB), their trees far below this. */
const WORKER_HEAP_MB = 256;
/**
 * Its young generation: parsing makes short-lived garbage only. V8's default let the thread grow
 * by about 25 MB more RSS during a catch-up; 12 MB costs no measurable time, 4 MB costs a CPU-second.
 */
const WORKER_YOUNG_MB = 12;

/** Where the worker's code is: next to the bundle when running from it, else the TypeScript source through tsx. */
function startWorker(): Worker {
  const here = import.meta.url;
  const options = { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB } };
  if (!here.endsWith('.ts')) return new Worker(new URL('./parse-worker.mjs', here), options);
  const source = new URL('./parse-worker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(code, { ...options, eval: true });
}

interface Pending {
  xml: string;
  opts: ParseFeedOptions;
  resolve: (p: ParsedPage) => void;
  reject: (e: Error) => void;
}

export class FeedParserThread {
  private worker: Worker | null = null;
  /** Whether the current thread has answered yet: one that dies before it ever does could not start. */
  private answered = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Closed, or the thread could not start: documents are parsed on the calling thread. */
  private inPlace = false;

  /** `start` makes the thread (tests give one that fails); `onInPlace` hears why parsing moved back to the caller's thread. */
  constructor(
    private readonly start: () => Worker = startWorker,
    private readonly onInPlace: (why: string) => void = () => undefined,
  ) {}

  /** Parses on the thread; throws FeedParseError exactly as parseFeedPage would. */
  parse(xml: string, opts: ParseFeedOptions = {}): Promise<ParsedPage> {
    if (this.inPlace) return Promise.resolve().then(() => parseFeedPage(xml, opts));
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise<ParsedPage>((resolve, reject) => {
      this.pending.set(id, { xml, opts, resolve, reject });
      if (this.pending.size === 1) worker.ref(); // keeps the process up only while a document is being parsed
      worker.postMessage({ id, xml, url: opts.url, maxBytes: opts.maxBytes } satisfies ParseRequest);
    });
  }

  /** Stops the thread; later documents are parsed on the calling thread. */
  async close(): Promise<void> {
    this.inPlace = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = this.start();
    this.answered = false;
    w.unref();
    w.on('message', (r: ParseReply) => {
      this.answered = true;
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) w.unref();
      if ('page' in r) p.resolve(r.page);
      else p.reject(revive(r.error));
    });
    const gone = (why: string, outOfMemory = false) => {
      if (this.worker !== w) return;
      this.worker = null;
      const held = [...this.pending.values()];
      this.pending.clear();
      // One that ran out of memory did start: a document broke it, which must not be parsed here instead.
      if (!this.answered && !this.inPlace && !outOfMemory) {
        // It never started (its code could not be loaded, say): parse here from now on, these documents too.
        this.inPlace = true;
        this.onInPlace(`the feed parsing thread could not start (${why}); feed documents are parsed on the main thread`);
        for (const p of held) {
          try {
            p.resolve(parseFeedPage(p.xml, p.opts));
          } catch (e) {
            p.reject(e as Error);
          }
        }
        return;
      }
      const err = new Error(`the feed parsing thread stopped (${why}); the document will be read again`);
      for (const p of held) p.reject(err);
    };
    w.on('error', (e) => gone(e.message, (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'));
    w.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = w;
    return w;
  }
}

function revive(e: Extract<ParseReply, { error: unknown }>['error']): Error {
  if (e.name !== 'FeedParseError') return Object.assign(new Error(e.message), { name: e.name });
  // The message already names the URL: set the details without the constructor adding it again.
  return Object.assign(new FeedParseError(e.message), { url: e.url, entryIndex: e.entryIndex, entryId: e.entryId });
}
