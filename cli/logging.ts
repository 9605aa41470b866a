// The node's log: a pino logger. `json`: one JSON object a line (time, level, msg and the
// event's fields), for log collectors; `pretty` (the default): the message alone, a line
// each, as people read it. Elections, votes, joins and snapshots come as events
// (core/node/observer.ts), requests as records of method, status and duration: no
// params, tokens, addresses or payloads ever reach it.
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { NodeEvent } from '../core/node/observer.js';
import type { RequestRecord } from '../rpc/server.js';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A node's log: called with a message, and told of events and requests. */
export interface NodeLog {
  (message: string): void;
  event?(event: NodeEvent): void;
  request?(record: RequestRecord): void;
}

/** Where a line goes (process.stdout, or a test's buffer). */
export interface LineSink {
  write(line: string): unknown;
}

/** Messages the node writes about failures start so (see core/node). */
const FAILURE = /^(error|fatal)\b|failed|refused|cannot /i;

export function nodeLog(format: LogFormat, out: LineSink = process.stdout): NodeLog {
  const logger: Logger = pino(
    { base: undefined, timestamp: stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    format === 'json' ? { write: (line: string) => out.write(line) } : { write: (line: string) => out.write(`${(JSON.parse(line) as { msg: string }).msg}\n`) },
  );
  const log: NodeLog = (message) => (FAILURE.test(message) ? logger.error(message) : logger.info(message));
  log.event = (event) => {
    const said = describeEvent(event);
    if (said) logger.info({ event: event.kind, ...fieldsOf(event) }, said);
  };
  log.request = (r) => logger.info({ event: 'request', methods: r.methods, status: r.status, errors: r.errors, durationMs: Math.round(r.durationMs * 1000) / 1000 }, `${r.methods.join(',') || '-'} ${r.status} ${r.durationMs.toFixed(1)} ms`);
  return log;
}

function fieldsOf(event: NodeEvent): Record<string, unknown> {
  const { kind: _, ...fields } = event;
  return fields;
}

/** What an event says to a reader; undefined: not logged (every ledger entry would flood it). */
function describeEvent(event: NodeEvent): string | undefined {
  switch (event.kind) {
    case 'role':
      return `view ${event.view}: this node is ${event.role}`;
    case 'vote':
      return event.votedFor === undefined ? undefined : `view ${event.view}: voted for ${event.votedFor.slice(0, 16)}`;
    case 'snapshot':
      return `snapshot at seqno ${event.seqno} ${event.source} (${event.bytes} bytes)`;
    case 'join-requested':
      return `node ${event.nodeId.slice(0, 16)} asked to join`;
    case 'joined':
      return `joined the service as ${event.nodeId.slice(0, 16)}`;
    case 'appended':
      return undefined;
  }
}
