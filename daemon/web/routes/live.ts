// Server-sent events: one stream per open tab with the tank states, tank events and gateway health as
// they happen. A reconnecting tab sends Last-Event-ID and gets what it missed from the feed's ring, or a
// full snapshot when the gap is too old or the daemon restarted. Gzip-compressed with a small window
// where the browser accepts it (states repeat most of their text: a weak mobile link carries a quarter).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as zlib, createGzip, type Gzip } from 'node:zlib';
import type { Logger } from '../../log.js';
import { header, problem, type Route } from '../http.js';
import type { SessionRecord } from '../sessions.js';
import { SECURITY_HEADERS } from '../server.js';

/**
 * A ping this often keeps NATs and proxies from dropping a quiet stream and lets the page see that the
 * stream is alive (a comment line would not reach the page's code). No id: it does not move the resume point.
 */
export const KEEPALIVE_MS = 25_000;
/** What the browser waits before reconnecting after a drop. */
export const RETRY_MS = 3000;
/** A stream that cannot take more than this many unsent bytes (a stalled phone) is closed. */
const MAX_BUFFERED_BYTES = 256 * 1024;

/** What a stream needs of a feed: the dashboard's LiveFeed, or another feed of numbered entries. */
export interface StreamFeed {
  resume(
    lastEventId: string | undefined,
  ): { entries: readonly FeedEntryLike[] } | { snapshot: { id: string } };
  subscribe(listener: (e: FeedEntryLike) => void): () => void;
}

export interface FeedEntryLike {
  id: string;
  kind: string;
  data: string;
}

export interface LiveRouteDeps {
  feed: StreamFeed;
  sessions: { valid(record: SessionRecord): boolean };
  maxStreams: number;
  /** Open streams, counted here and read by the metrics. */
  streams: { open: number };
  log: Logger;
}

export function liveRoutes(deps: LiveRouteDeps): Route[] {
  const { streams } = deps;
  return [
    {
      method: 'GET',
      path: '/api/events',
      access: 'session',
      handler: (req) => {
        if (streams.open >= deps.maxStreams)
          return problem(503, 'busy', 'Too many open dashboards on this gateway; close one and retry.');
        const record = req.session!.record;
        const lastEventId = header(req, 'last-event-id') ?? req.query.get('lastEventId') ?? undefined;
        const gzip = /\bgzip\b/i.test(header(req, 'accept-encoding') ?? '');
        return {
          stream: (httpReq, res) => {
            streams.open++;
            streamTo(httpReq, res, { ...deps, record, lastEventId, gzip }, () => streams.open--);
          },
        };
      },
    },
  ];
}

interface StreamOptions extends LiveRouteDeps {
  record: SessionRecord;
  lastEventId: string | undefined;
  gzip: boolean;
}

function streamTo(req: IncomingMessage, res: ServerResponse, o: StreamOptions, closed: () => void): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    ...(o.gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
  });
  res.socket?.setNoDelay(true);
  let zip: Gzip | undefined;
  if (o.gzip) {
    // A 1 KiB window and a small hash table: ~12 KB of memory per stream instead of ~270 KB.
    zip = createGzip({ windowBits: 10, memLevel: 3, level: 6 });
    zip.pipe(res);
  }
  const out = zip ?? res;
  let unsubscribe = () => {};
  let keepalive: NodeJS.Timeout | undefined;
  const send = (text: string) => {
    out.write(text);
    zip?.flush(zlib.Z_SYNC_FLUSH);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      o.log.warn('live stream closed: the client does not keep up', { user: o.record.user });
      finish();
    }
  };
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    unsubscribe();
    clearInterval(keepalive);
    closed();
    if (zip) zip.end();
    else res.end();
  };

  send(`retry: ${RETRY_MS}\n\n`);
  const resume = o.feed.resume(o.lastEventId);
  if ('snapshot' in resume) send(frame(resume.snapshot.id, 'snapshot', JSON.stringify(resume.snapshot)));
  else for (const e of resume.entries) send(entryFrame(e));
  if (done) return;
  unsubscribe = o.feed.subscribe((e) => send(entryFrame(e)));
  keepalive = setInterval(() => {
    // A session that expired or was ended elsewhere (logout) ends its streams too.
    if (!o.sessions.valid(o.record)) finish();
    else send('event: ping\ndata: {}\n\n');
  }, KEEPALIVE_MS);
  req.on('close', finish);
  res.on('error', finish);
}

function entryFrame(e: FeedEntryLike): string {
  return frame(e.id, e.kind, e.data);
}

export function frame(id: string, event: string, data: string): string {
  // JSON has no raw newlines, so one data line carries it.
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}
