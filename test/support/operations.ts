/** Operations over the admin API, for the specs: their shapes, following them, and event streams. */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { bodyOf } from './body.js';
import { legacy } from './tenant-fixtures.js';

export const OPERATIONS = '/api/admin/operations';

/** The members of an operation the specs read. */
export interface OperationBody {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  actor: string | null;
  status: string;
  progress: {
    phase: string;
    done: number;
    total: number | null;
    counts: Record<string, number>;
  } | null;
  result: Record<string, unknown> | null;
  error: { code: string; kind: string; message: string; context?: Record<string, unknown> } | null;
  runId: string | null;
  worker: string | null;
  attempts: number;
}

/** One server-sent event. */
export interface StreamEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

const SETTLED = new Set(['paused', 'cancelled', 'succeeded', 'failed', 'interrupted']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Parses an event stream's text into its events (comments and `retry` left out). */
export const parseEvents = (text: string): StreamEvent[] =>
  text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.some((line) => line.startsWith('data: ')))
    .map((lines) => {
      const field = (name: string) =>
        lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return {
        id: field('id'),
        event: field('event'),
        data: JSON.parse(field('data')) as Record<string, unknown>,
      };
    });

/** Seeds `count` legacy tenants `<prefix><stem><n>` in one pipeline. */
export const seedTenants = async (redis: Redis, prefix: string, count: number, stem = 't') => {
  for (let from = 0; from < count; from += 5000) {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(count, from + 5000); i++)
      pipeline.set(`${prefix}${stem}${i}`, legacy('🍕', 1700000000000 + i));
    await pipeline.exec();
  }
};

/** What `operationsApi` answers: the routes of one app, with its token. */
export interface OperationsApi {
  auth: { Authorization: string };
  http: () => ReturnType<typeof request>;
  start(body: Record<string, unknown>): Promise<OperationBody>;
  get(id: string): Promise<OperationBody>;
  control(id: string, verb: 'cancel' | 'pause' | 'resume'): request.Test;
  until(
    id: string,
    done?: (operation: OperationBody) => boolean,
    timeoutMs?: number,
  ): Promise<OperationBody>;
  events(
    id: string,
    lastEventId?: string,
  ): Promise<{ res: request.Response; events: StreamEvent[] }>;
}

/** The admin API of one app (its server) with its bearer token. */
export const operationsApi = (server: () => Server, token: string): OperationsApi => {
  const auth = { Authorization: `Bearer ${token}` };
  const http = () => request(server());
  const api: OperationsApi = {
    auth,
    http,
    start: async (body: Record<string, unknown>): Promise<OperationBody> => {
      const res = await http().post(OPERATIONS).set(auth).send(body);
      assert.equal(res.status, 202, res.text);
      return bodyOf<OperationBody>(res);
    },
    get: async (id: string): Promise<OperationBody> => {
      const res = await http().get(`${OPERATIONS}/${id}`).set(auth);
      assert.equal(res.status, 200, res.text);
      return bodyOf<OperationBody>(res);
    },
    control: (id: string, verb: 'cancel' | 'pause' | 'resume') =>
      http().post(`${OPERATIONS}/${id}/${verb}`).set(auth),
    /** Waits until the operation is in one of `statuses` (default: any settled one). */
    until: async (
      id: string,
      done: (operation: OperationBody) => boolean = (o) => SETTLED.has(o.status),
      timeoutMs = 60_000,
    ): Promise<OperationBody> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const operation = await api.get(id);
        if (done(operation)) return operation;
        if (Date.now() > deadline)
          assert.fail(`operation ${id} still ${operation.status} after ${timeoutMs} ms`);
        await sleep(25);
      }
    },
    /** The event stream to its end, from after `lastEventId`. */
    events: async (id: string, lastEventId?: string) => {
      const req = http().get(`${OPERATIONS}/${id}/events`).set(auth);
      if (lastEventId !== undefined) req.set('Last-Event-ID', lastEventId);
      const res = await req.buffer(true).parse((response, callback) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => callback(null, text));
      });
      return { res, events: res.status === 200 ? parseEvents(res.body as string) : [] };
    },
  };
  return api;
};
