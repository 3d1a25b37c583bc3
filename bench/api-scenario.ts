/**
 * The `api` scenario: what a loaded admin API costs a migration that runs as an operation in
 * the same app (its embedded worker).
 *
 * 1. Seeds N tenants into the flushed bench Redis and re-creates the api scenario's own
 *    database (tm_bench_api) with its schema, as every scenario does (`seedFresh`).
 * 2. Starts the compiled admin app as a child process on 127.0.0.1, PORT=0 (its address read
 *    from its `listening on` log line), with a random ADMIN_TOKEN given only in its environment,
 *    ADMIN_RATE_LIMIT=0 and the bench stores. The environment is built from nothing but these
 *    (plus PATH and HOME), so no setting of the caller's shell changes what is measured.
 * 3. Baseline: a `migrate` operation with no other traffic, polled until it succeeds; its time
 *    is the migration's own (`result.durationMs`).
 * 4. Reset: the tables the migration wrote are emptied, so the second one does the same work
 *    (the operations and their events stay).
 * 5. Loaded: a second `migrate` operation, and at once autocannon over four admin routes in
 *    rotation plus five clients following the operation's event stream to its end.
 * 6. The app is stopped (SIGTERM, SIGKILL after 10 s).
 *
 * Around each migration the CPU time of the app (and worker), PostgreSQL, the bench Redis and
 * this process (the load generator and the stream clients) is read from /proc, so the report
 * says where the two cores went and what a request of the load cost (`cpu-time.ts`).
 *
 * The figure is loaded tenants/s / baseline tenants/s (target >= 0.8). A step that fails stops
 * the bench with `bench: <step> failed: <reason>`; a ratio below the target is a reported FAIL,
 * not a failed step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { errorMessage } from '#tenant-migration';
import {
  apiReportLines,
  EventStreamCounter,
  listeningUrl,
  loadOverlap,
  migrationFigures,
  parseWholeNumber,
  type StreamTally,
} from './api-figures.js';
import { BenchStepError, exitAccepted, exitReason } from './figures.js';
import {
  batchSize as batchSizeFlag,
  databaseUrl,
  fail,
  loadConnections,
  loadSeconds,
  redisUrl,
  root,
  sizes,
  loadRate,
  workerPlacement,
} from './settings.js';
import { seedFresh } from './steps.js';
import { canReadCpuTime, cpuBetween, cpuReportLines, sampleCpu } from './cpu-time.js';

const OPERATIONS = '/api/admin/operations';
/** Clients following the loaded operation's event stream. */
const STREAM_CLIENTS = 5;
/** How often the bench reads an operation while waiting for it (both runs alike). */
const POLL_MS = 200;
/** How long a migration may take before the bench gives up on it. */
const MIGRATION_TIMEOUT_MS = 2 * 60 * 60 * 1000;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/** How long the event streams may go on after their operation settled. */
const STREAM_END_MS = 30_000;
/** The tables a migration writes: emptied between the two runs. */
const MIGRATION_TABLES = [
  'tenants',
  'migration_runs',
  'migration_run_keys',
  'migration_exceptions',
  'tenant_tombstones',
];
/** How much of the app's log is kept, for the reason of a failed step. */
const LOG_TAIL = 4000;

/** The admin app as a child process. */
interface AdminApp {
  url: string;
  child: ChildProcess;
  /** The end of what it has logged. */
  logTail: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The members of an operation the bench reads. */
interface OperationBody {
  id: string;
  status: string;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const lastLine = (text: string): string =>
  text.trim().split('\n').at(-1)?.slice(0, 300) ?? '(no output)';

/** The environment of the app and the worker: only what the bench sets. */
const appEnvironment = (token: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  HOST: '127.0.0.1',
  PORT: '0',
  ADMIN_TOKEN: token,
  ADMIN_RATE_LIMIT: '0',
  TENANT_KEY_PREFIX: 'subdomain:',
  REDIS_URL: redisUrl,
  DATABASE_URL: databaseUrl,
  OPERATIONS_MODE: workerPlacement === 'separate' ? 'enqueue' : 'worker',
});

/** Starts the admin app (or, `worker`, a standalone worker) and resolves once it is ready. */
const startApp = (token: string, worker = false): Promise<AdminApp> => {
  const step = worker ? 'worker start' : 'admin app start';
  const entry = worker ? 'dist/apps/worker/src/main.js' : 'dist/apps/admin/src/main.js';
  const child = spawn(process.execPath, [resolve(root, entry)], {
    cwd: root,
    env: appEnvironment(token),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new BenchStepError(step, `no "listening on" line within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    let url: string | null = null;
    const heard = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-LOG_TAIL);
      if (url !== null) return;
      url = worker
        ? /running operations as \S+/.test(log)
          ? '(worker)'
          : null
        : listeningUrl(log);
      if (url === null) return;
      clearTimeout(timer);
      resolvePromise({ url, child, logTail: () => log, exited });
    };
    child.stdout.on('data', heard);
    child.stderr.on('data', heard);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new BenchStepError(step, `could not start node: ${error.message}`));
    });
    void exited.then(({ code, signal }) => {
      if (url !== null) return;
      clearTimeout(timer);
      reject(new BenchStepError(step, `${exitReason(code, signal)}: ${lastLine(log)}`));
    });
  });
};

/** SIGTERM, then SIGKILL after STOP_GRACE_MS; a stop that needed SIGKILL or failed is a failed step. */
const stopApp = async (app: AdminApp): Promise<void> => {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    app.child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  app.child.kill('SIGTERM');
  const { code, signal } = await app.exited;
  clearTimeout(timer);
  if (killed)
    throw new BenchStepError('admin app stop', `still running ${STOP_GRACE_MS} ms after SIGTERM`);
  // Nest re-raises SIGTERM once its shutdown hooks have run: that, or exit 0, is a clean stop.
  if (signal !== 'SIGTERM' && !exitAccepted(code, signal, [0]))
    throw new BenchStepError(
      'admin app stop',
      `${exitReason(code, signal)}: ${lastLine(app.logTail())}`,
    );
};

/** One request of the bench's own to the admin API; any other status than `expect` fails `step`. */
const call = async <T>(
  app: AdminApp,
  token: string,
  step: string,
  method: 'GET' | 'POST',
  path: string,
  expect: number,
  body?: Record<string, unknown>,
): Promise<T> => {
  let response: Response;
  try {
    response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    // A refused connection is most often the app gone: give its exit a moment to be seen.
    const exit = await Promise.race([app.exited, sleep(500).then(() => null)]);
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : null;
    throw new BenchStepError(
      step,
      `${method} ${path}: ${
        exit
          ? `the admin app ${exitReason(exit.code, exit.signal)} (${lastLine(app.logTail())})`
          : `${errorMessage(error)}${cause ? ` (${errorMessage(cause)})` : ''}`
      }`,
    );
  }
  const text = await response.text();
  if (response.status !== expect)
    throw new BenchStepError(
      step,
      `${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`,
    );
  return JSON.parse(text) as T;
};

/** The processes whose CPU time the report shows besides PostgreSQL, Redis and the bench. */
const cpuProcesses = (app: AdminApp, worker: AdminApp | null): Record<string, number> => ({
  ...(app.child.pid === undefined ? {} : { 'admin app': app.child.pid }),
  ...(worker?.child.pid === undefined ? {} : { worker: worker.child.pid }),
});

/** Starts a migration operation; its id. */
const startMigration = async (
  app: AdminApp,
  token: string,
  step: string,
  batchSize: number | null,
): Promise<string> => {
  const operation = await call<OperationBody>(app, token, step, 'POST', OPERATIONS, 202, {
    kind: 'migrate',
    ...(batchSize !== null ? { batchSize } : {}),
  });
  return operation.id;
};

/** Reads the operation until it succeeds; any other settled status fails `step`. */
const untilSucceeded = async (
  app: AdminApp,
  token: string,
  step: string,
  id: string,
): Promise<OperationBody> => {
  const deadline = Date.now() + MIGRATION_TIMEOUT_MS;
  for (;;) {
    const operation = await call<OperationBody>(
      app,
      token,
      step,
      'GET',
      `${OPERATIONS}/${id}`,
      200,
    );
    if (operation.status === 'succeeded') return operation;
    if (['failed', 'cancelled', 'interrupted', 'paused'].includes(operation.status))
      throw new BenchStepError(
        step,
        `operation ${id} ${operation.status}${operation.error ? `: ${operation.error.code}: ${operation.error.message}` : ''}`,
      );
    if (Date.now() > deadline)
      throw new BenchStepError(
        step,
        `operation ${id} still ${operation.status} after ${MIGRATION_TIMEOUT_MS} ms`,
      );
    await sleep(POLL_MS);
  }
};

/** Empties what the migration wrote, so the next one does the same work. */
const resetMigrationTables = async (): Promise<void> => {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    await client.query(`TRUNCATE ${MIGRATION_TABLES.join(', ')}`);
  } catch (error) {
    throw new BenchStepError('reset', errorMessage(error));
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** Follows the operation's event stream (node http, bearer header) until the server ends it. */
const followEvents = (
  app: AdminApp,
  token: string,
  id: string,
  client: number,
  signal: AbortSignal,
): Promise<StreamTally> =>
  new Promise((resolvePromise, reject) => {
    const step = `event stream ${client}`;
    const refuse = (reason: string) => reject(new BenchStepError(step, reason));
    const request = http.get(
      `${app.url}${OPERATIONS}/${id}/events`,
      { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          refuse(`answered ${response.statusCode ?? 'no status'}`);
          return;
        }
        const counter = new EventStreamCounter();
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => counter.push(chunk));
        response.on('end', () =>
          resolvePromise({ events: counter.events, sawResult: counter.types.has('result') }),
        );
        response.on('close', () => {
          if (!response.complete) refuse(`cut after ${counter.events} events`);
        });
      },
    );
    request.on('error', (error) =>
      refuse(
        signal.aborted
          ? `still open ${STREAM_END_MS} ms after the operation settled`
          : error.message,
      ),
    );
  });

/** autocannon over the admin routes in rotation, with a way to stop it early. */
const startLoad = (
  app: AdminApp,
  token: string,
  id: string,
): { done: Promise<autocannon.Result>; stop: () => void; served: () => number } => {
  let instance: autocannon.Instance | undefined;
  let served = 0;
  const done = new Promise<autocannon.Result>((resolvePromise, reject) => {
    instance = autocannon(
      {
        url: app.url,
        connections: loadConnections,
        duration: loadSeconds,
        ...(loadRate === null ? {} : { overallRate: loadRate }),
        headers: { authorization: `Bearer ${token}` },
        requests: [
          { method: 'GET', path: '/api/admin/migration?action=status' },
          { method: 'GET', path: `${OPERATIONS}/${id}` },
          { method: 'GET', path: `${OPERATIONS}?limit=20` },
          { method: 'GET', path: '/health/ready' },
        ],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) reject(new BenchStepError('load (autocannon)', errorMessage(error)));
        else resolvePromise(result);
      },
    );
  });
  instance?.on('response', () => served++);
  return { done, stop: () => instance?.stop(), served: () => served };
};

/**
 * The loaded run: the migration, the load and the event streams, all to their ends. `onSettled`
 * is called the moment the migration has succeeded, with the requests answered so far.
 */
const loadedRun = async (
  app: AdminApp,
  token: string,
  batchSize: number | null,
  onSettled: (served: number) => void,
) => {
  const step = 'loaded migration';
  const id = await startMigration(app, token, step, batchSize);
  process.stderr.write(
    `bench: loaded migration (operation ${id}) with ${loadConnections} connections for ${loadSeconds} s ` +
      `and ${STREAM_CLIENTS} event stream clients\n`,
  );
  const streamsEnd = new AbortController();
  const load = startLoad(app, token, id);
  const streams = Array.from({ length: STREAM_CLIENTS }, (_, i) =>
    followEvents(app, token, id, i + 1, streamsEnd.signal),
  );
  const migration = untilSucceeded(app, token, step, id)
    .then((operation) => {
      onSettled(load.served());
      return operation;
    })
    .finally(() => {
      // Settled either way: the streams end by themselves within a poll, or they are cut.
      setTimeout(() => streamsEnd.abort(), STREAM_END_MS).unref();
    });
  try {
    const [operation, result, tallies] = await Promise.all([
      migration,
      load.done,
      Promise.all(streams),
    ]);
    return { operation, result, tallies };
  } catch (error) {
    load.stop();
    streamsEnd.abort();
    throw error;
  }
};

const timeOf = (iso: string | null, step: string, what: string): number => {
  const at = iso === null ? NaN : Date.parse(iso);
  if (!Number.isFinite(at)) throw new BenchStepError(step, `the operation has no ${what}`);
  return at;
};

/** The `api` scenario (see the header). */
export const runApi = async (): Promise<void> => {
  if (sizes.length !== 1) fail('api takes one --tenants size');
  const [n] = sizes;
  let batchSize: number | null = null;
  try {
    batchSize = batchSizeFlag ? parseWholeNumber(batchSizeFlag, '--batch-size', 50_000) : null;
  } catch (error) {
    fail(errorMessage(error));
  }
  const loadBefore = loadavg()[0];
  await seedFresh(n);
  const token = randomBytes(24).toString('base64url');
  const app = await startApp(token);
  process.stderr.write(`bench: admin app listening on ${app.url}\n`);
  const worker =
    workerPlacement === 'separate'
      ? await startApp(token, true).catch(async (error: unknown) => {
          await stopApp(app).catch(() => undefined);
          throw error;
        })
      : null;
  if (worker) process.stderr.write(`bench: a standalone worker runs the migrations\n`);
  let lines: string[];
  try {
    const cpu = () => sampleCpu(cpuProcesses(app, worker), new URL(redisUrl).port || '6379');
    const baselineCpu = cpu();
    const baselineId = await startMigration(app, token, 'baseline migration', batchSize);
    process.stderr.write(`bench: baseline migration (operation ${baselineId}), no load\n`);
    const baselineOperation = await untilSucceeded(app, token, 'baseline migration', baselineId);
    const baselineCpuUsed = cpuBetween(baselineCpu, cpu());
    const baseline = migrationFigures(baselineOperation.result, n, 'baseline migration');

    process.stderr.write(`bench: reset (TRUNCATE ${MIGRATION_TABLES.join(', ')})\n`);
    await resetMigrationTables();

    const loadedStep = 'loaded migration';
    const loadedCpu = cpu();
    // Read when the migration ends (the load may run on): the same window as the baseline's.
    let loadedCpuUsed = cpuBetween(loadedCpu, loadedCpu);
    let servedDuringMigration = 0;
    const { operation, result, tallies } = await loadedRun(app, token, batchSize, (served) => {
      loadedCpuUsed = cpuBetween(loadedCpu, cpu());
      servedDuringMigration = served;
    });
    const loaded = migrationFigures(operation.result, n, loadedStep);
    lines = apiReportLines({
      tenants: n,
      batchSize,
      connections: loadConnections,
      durationSeconds: loadSeconds,
      baseline,
      loaded,
      load: {
        requestsPerSecond: result.requests.average,
        requests: result.requests.total,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.errors,
        non2xx: result.non2xx,
      },
      streams: tallies,
      overlap: loadOverlap(
        {
          start: timeOf(operation.startedAt, loadedStep, 'startedAt'),
          end: timeOf(operation.finishedAt, loadedStep, 'finishedAt'),
        },
        { start: result.start.getTime(), end: result.finish.getTime() },
      ),
    });
    if (canReadCpuTime())
      lines.push(
        '',
        ...cpuReportLines(baselineCpuUsed, loadedCpuUsed, servedDuringMigration, cpus().length),
      );
  } catch (error) {
    if (worker) await stopApp(worker).catch(() => undefined);
    await stopApp(app).catch(() => undefined);
    throw error;
  }
  const loadAfter = loadavg()[0];
  if (worker) await stopApp(worker);
  await stopApp(app);
  console.log('');
  for (const line of lines) console.log(line);
  console.log(
    loadRate === null
      ? 'rate: unbounded (each connection sends its next request when the last is answered)'
      : `rate: at most ${loadRate} requests/s over all connections`,
  );
  console.log(
    workerPlacement === 'separate'
      ? 'worker: a standalone worker process (npm run worker); the app only enqueued'
      : "worker: the admin app's embedded worker (the app serves the load and runs the migration)",
  );
  // The machine's other work weighs on both runs' figures: say how busy it was.
  console.log(
    `load average (1 min): ${loadBefore.toFixed(2)} before seeding, ${loadAfter.toFixed(2)} after the loaded run ` +
      '(includes this benchmark, the app, PostgreSQL and Redis)',
  );
};
