import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, maxHeaderSize, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { answerClientErrors, clientErrorResponse } from './client-error-answer.js';

const parseError = (code: string, reason?: string): Error =>
  Object.assign(new Error(`Parse Error: ${reason ?? code}`), { code, reason });

/** The status, headers and body of a raw HTTP/1.1 response. */
const parseResponse = (
  raw: string,
): { status: number; headers: Map<string, string>; body: string } => {
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no end of head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = new Map(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4) };
};

describe('clientErrorResponse', () => {
  const rows: [name: string, error: Error, status: number, code: string, detail: RegExp][] = [
    [
      'an oversized head',
      parseError('HPE_HEADER_OVERFLOW'),
      431,
      'request-header-fields-too-large',
      new RegExp(`^the request line and headers are larger than ${maxHeaderSize} bytes together$`),
    ],
    [
      'a malformed request line',
      parseError('HPE_INVALID_METHOD', 'Invalid method encountered'),
      400,
      'bad-request',
      /^the request is not valid HTTP\/1\.1 \(invalid method encountered\)$/,
    ],
    [
      'a reason that is no single line',
      parseError('HPE_INVALID_HEADER_TOKEN', 'bad\r\nheader'),
      400,
      'bad-request',
      /^the request is not valid HTTP\/1\.1$/,
    ],
    [
      'an error without a code',
      new Error('?'),
      400,
      'bad-request',
      /^the request is not valid HTTP\/1\.1$/,
    ],
    [
      'oversized chunk extensions',
      parseError('HPE_CHUNK_EXTENSIONS_OVERFLOW'),
      413,
      'payload-too-large',
      /chunk extensions/,
    ],
    [
      'a request that took too long',
      parseError('ERR_HTTP_REQUEST_TIMEOUT'),
      408,
      'request-timeout',
      /did not arrive in time/,
    ],
  ];
  for (const [name, error, status, code, detail] of rows) {
    it(`${name}: ${status} ${code}`, () => {
      const response = parseResponse(clientErrorResponse(error));
      assert.equal(response.status, status);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(response.headers.get('connection'), 'close');
      assert.equal(
        Number(response.headers.get('content-length')),
        Buffer.byteLength(response.body),
      );
      const problem = JSON.parse(response.body) as Record<string, unknown>;
      assert.equal(problem.status, status);
      assert.equal(problem.statusCode, status);
      assert.equal(problem.code, code);
      assert.equal(problem.type, 'about:blank');
      assert.match(String(problem.detail), detail);
      assert.equal(problem.message, problem.detail);
    });
  }
});

describe('answerClientErrors', () => {
  let sut: Server;
  let port: number;
  before(async () => {
    sut = createServer((request, response) => {
      // `/slow` starts its answer and finishes it later: a response under way.
      if (request.url === '/slow') {
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        response.write('started ');
        setTimeout(() => response.end('done'), 200);
        return;
      }
      response.end('ok');
    });
    answerClientErrors(sut);
    await new Promise<void>((resolve) => sut.listen(0, '127.0.0.1', resolve));
    port = (sut.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => sut.close(() => resolve())));

  /** Everything the server sends back for `raw`, until it closes the connection. */
  const exchange = (raw: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', (error) => (received ? resolve(received) : reject(error)));
      socket.on('close', () => resolve(received));
      socket.write(raw);
    });

  const rows: [name: string, raw: string, status: number, code: string][] = [
    [
      'a 100 kB query string',
      `GET /?q=${'x'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      431,
      'request-header-fields-too-large',
    ],
    [
      'a 20 kB header',
      `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'x'.repeat(20_000)}\r\n\r\n`,
      431,
      'request-header-fields-too-large',
    ],
    [
      'a 1 MB head',
      `GET /?q=${'x'.repeat(1_000_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      431,
      'request-header-fields-too-large',
    ],
    ['a malformed request line', 'NOT HTTP AT ALL\r\n\r\n', 400, 'bad-request'],
    [
      'a malformed header',
      'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n',
      400,
      'bad-request',
    ],
  ];
  for (const [name, raw, status, code] of rows) {
    it(`${name}: a ${status} problem document, and the server keeps serving`, async () => {
      const response = parseResponse(await exchange(raw));
      assert.equal(response.status, status);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(
        Number(response.headers.get('content-length')),
        Buffer.byteLength(response.body),
      );
      assert.equal((JSON.parse(response.body) as { code: string }).code, code);
      assert.match(
        await exchange('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/,
      );
    });
  }

  it('writes nothing into a response under way: a malformed request pipelined after it only closes the connection', async () => {
    const received = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        // Once the first answer has started, the next request on the connection is malformed.
        if (!text) socket.write('NOT HTTP AT ALL\r\n\r\n');
        text += chunk;
      });
      socket.on('error', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n[\s\S]*started \r\n$/);
    assert.doesNotMatch(received, /problem\+json|done/);
  });

  it('writes nothing to a client that is gone', () => {
    const socket = new PassThrough();
    let written = '';
    socket.on('data', (chunk: Buffer) => (written += chunk.toString()));
    sut.emit('clientError', parseError('ECONNRESET'), socket);
    assert.equal(written, '');
    assert.equal(socket.destroyed, true);
  });

  it('writes nothing to a socket that can no longer be written', () => {
    const socket = new PassThrough();
    socket.end();
    sut.emit('clientError', parseError('HPE_HEADER_OVERFLOW'), socket);
    assert.equal(socket.destroyed, true);
  });
});
