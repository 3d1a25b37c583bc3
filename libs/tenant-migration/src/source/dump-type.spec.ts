import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { typeOfDump } from './dump-type.js';

/** A payload shaped as DUMP gives it: type byte, body, RDB version (2 bytes), CRC64 (8 bytes). */
const payload = (typeByte: number, body = 'x'): Buffer =>
  Buffer.concat([Buffer.from([typeByte]), Buffer.from(body), Buffer.alloc(10)]);

describe('typeOfDump', () => {
  it('names each core type from the RDB encodings servers write today', () => {
    const cases: [number, string][] = [
      [0, 'string'],
      [18, 'list'],
      [11, 'set'],
      [20, 'set'],
      [17, 'zset'],
      [5, 'zset'],
      [16, 'hash'],
      [4, 'hash'],
      [21, 'stream'],
      [15, 'stream'],
    ];
    for (const [byte, type] of cases) assert.equal(typeOfDump(payload(byte)), type, `byte ${byte}`);
  });

  it('does not tell module values, unknown encodings or truncated payloads', () => {
    assert.equal(typeOfDump(payload(7)), null, 'module value: TYPE names the module');
    assert.equal(typeOfDump(payload(6)), null);
    assert.equal(typeOfDump(payload(24)), null, 'an encoding newer than the table');
    assert.equal(typeOfDump(payload(255)), null);
    assert.equal(typeOfDump(Buffer.from([0, 1, 2])), null, 'too short to be a DUMP payload');
    assert.equal(typeOfDump(Buffer.alloc(0)), null);
  });
});
