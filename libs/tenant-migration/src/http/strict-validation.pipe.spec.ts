import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'node:querystring';
import { type ArgumentMetadata, BadRequestException } from '@nestjs/common';
import {
  ExceptionPageQueryDto,
  MigrationActionDto,
  MigrationQueryDto,
  NoQueryDto,
} from './migration-action.dto.js';
import { MAX_NESTING_DEPTH } from './nesting-depth.js';
import { StrictValidationPipe } from './strict-validation.pipe.js';

const sut = new StrictValidationPipe();
const body: ArgumentMetadata = { type: 'body', metatype: MigrationActionDto };
const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({
  type: 'query',
  metatype,
});
/** A query string as Express's default ("simple") query parser gives it: an object without prototype. */
const queryOf = (text: string): unknown => parse(text);
const arrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number, key = 'a'): string =>
  `${`{"${key}":`.repeat(depth)}1${'}'.repeat(depth)}`;

/** The messages of the 400 the pipe refuses `value` with. */
const refusal = async (value: unknown, metadata: ArgumentMetadata): Promise<string[]> => {
  try {
    await sut.transform(value, metadata);
  } catch (error) {
    assert.ok(error instanceof BadRequestException, String(error));
    const { message } = error.getResponse() as { message: string[] };
    return message;
  }
  return assert.fail('the pipe accepted the value');
};

const TOO_DEEP = `the body is nested deeper than ${MAX_NESTING_DEPTH} levels`;
const BATCH_SIZE = 'batchSize must be an integer from 1 to 50000';
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'x'];

describe('StrictValidationPipe: queries', () => {
  it('a route without parameters takes an empty query', async () => {
    assert.ok((await sut.transform(queryOf(''), query(NoQueryDto))) instanceof NoQueryDto);
  });

  for (const name of PROTOTYPE_NAMES) {
    it(`refuses a parameter named ${name} on every query`, async () => {
      for (const [metatype, text] of [
        [NoQueryDto, ''],
        [MigrationQueryDto, 'action=status&'],
        [ExceptionPageQueryDto, 'limit=5&'],
      ] as const) {
        assert.deepEqual(
          await refusal(queryOf(`${text}${name}=1`), query(metatype)),
          [`property ${name} should not exist`],
          `${metatype.name}`,
        );
      }
    });
  }

  it('keeps the documented parameters', async () => {
    assert.deepEqual(
      { ...((await sut.transform(queryOf('action=runs'), query(MigrationQueryDto))) as object) },
      { action: 'runs' },
    );
    const page = await sut.transform(
      queryOf('bucket=skipped&limit=10&offset=5'),
      query(ExceptionPageQueryDto),
    );
    assert.ok(page instanceof ExceptionPageQueryDto);
    assert.deepEqual({ ...page }, { bucket: 'skipped', limit: 10, offset: 5 });
  });

  it('bounds the depth of a query too', async () => {
    assert.deepEqual(
      await refusal(
        { limit: JSON.parse(arrays(MAX_NESTING_DEPTH)) as unknown },
        query(ExceptionPageQueryDto),
      ),
      [
        'limit must be an integer from 1 to 1000',
        `the query is nested deeper than ${MAX_NESTING_DEPTH} levels`,
      ],
    );
  });
});

describe('StrictValidationPipe: nesting depth', () => {
  const rows: [name: string, raw: string, messages: string[]][] = [
    ['an array nested 50,000 deep as the body', arrays(50_000), [TOO_DEEP]],
    [
      'objects nested 20,000 deep as the body',
      objects(20_000, 'action'),
      ['action must be one of: migrate, dry-run, validate, backup, sync, cleanup', TOO_DEEP],
    ],
    [
      'batchSize an array nested 50,000 deep',
      `{"action":"validate","batchSize":${arrays(50_000)}}`,
      [BATCH_SIZE, TOO_DEEP],
    ],
    [
      'batchSize objects nested 20,000 deep',
      `{"action":"validate","batchSize":${objects(20_000)}}`,
      [BATCH_SIZE, TOO_DEEP],
    ],
    [
      'subdomain an array nested 50,000 deep',
      `{"action":"sync","subdomain":${arrays(50_000)}}`,
      ['subdomain must be a string, not an array', TOO_DEEP],
    ],
    [
      'an unknown action beside a deep value',
      `{"action":"nope","batchSize":${arrays(50_000)}}`,
      [
        'action must be one of: migrate, dry-run, validate, backup, sync, cleanup',
        BATCH_SIZE,
        TOO_DEEP,
      ],
    ],
    [
      'a body one level past the bound',
      `{"action":"validate","batchSize":${arrays(MAX_NESTING_DEPTH)}}`,
      [BATCH_SIZE, TOO_DEEP],
    ],
    [
      'a body at the bound: refused by its rules only',
      `{"action":"validate","batchSize":${arrays(MAX_NESTING_DEPTH - 1)}}`,
      [BATCH_SIZE],
    ],
    // Unknown names are refused first, at the top level, without looking into their values.
    [
      'an unknown property with a deep value',
      `{"action":"validate","x":${arrays(50_000)}}`,
      ['property x should not exist'],
    ],
  ];
  for (const [name, raw, messages] of rows) {
    it(name, async () => assert.deepEqual(await refusal(JSON.parse(raw), body), messages));
  }

  it('a body with every property right passes', async () => {
    const dto = await sut.transform(
      JSON.parse('{"action":"migrate","batchSize":10,"conflictPolicy":"skip"}'),
      body,
    );
    assert.ok(dto instanceof MigrationActionDto);
  });

  it('a wide body is refused by its rules, not by the bound', async () => {
    const wide = JSON.stringify({
      action: 'validate',
      batchSize: Array.from({ length: 20_000 }, (_, i) => [i]),
    });
    assert.deepEqual(await refusal(JSON.parse(wide), body), [BATCH_SIZE]);
  });
});
