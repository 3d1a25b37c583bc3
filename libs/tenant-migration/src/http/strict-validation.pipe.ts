import {
  type ArgumentMetadata,
  BadRequestException,
  HttpException,
  Injectable,
  ValidationPipe,
} from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './nesting-depth.js';

/** The properties a DTO class declares rules for (its own and inherited ones). */
const declaredProperties = (metatype: ArgumentMetadata['metatype']): ReadonlySet<string> => {
  if (typeof metatype !== 'function') return new Set();
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
  return new Set(metadatas.map((metadata) => metadata.propertyName));
};

/** A value with named properties: not an array, not binary. */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !ArrayBuffer.isView(value);

/** The messages of the exception the validation threw (a list, from Nest's pipe). */
const messagesOf = (error: HttpException): string[] => {
  const response = error.getResponse();
  const message =
    typeof response === 'string' ? response : (response as { message?: unknown }).message;
  if (typeof message === 'string') return [message];
  return Array.isArray(message)
    ? message.filter((item): item is string => typeof item === 'string')
    : [];
};

/**
 * Request validation that refuses every unknown property, whatever its name, and any value nested
 * deeper than `MAX_NESTING_DEPTH`.
 *
 * class-validator's whitelist alone lets the names of Object.prototype through: it looks each
 * property up in a plain object of rules, where `constructor`, `toString`, `hasOwnProperty`,
 * `valueOf` or `__proto__` resolve to the prototype's members and so count as declared. Before
 * that, Nest strips `constructor` and `__proto__` and class-transformer skips any name the
 * instance inherits a function under, so the property silently disappears and the request runs
 * (a 200 for `{"action":"validate","constructor":1}`). The own keys of the value as it arrived
 * are therefore checked here, against a Set, before either of them sees it. A DTO that declares
 * no property at all (`NoQueryDto`) refuses every one.
 *
 * class-transformer and class-validator also recurse into the value, so its depth is bounded
 * here first, with a check that keeps its own stack.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata) && isRecord(value)) {
      const declared = declaredProperties(metadata.metatype);
      const unknown = Object.keys(value).filter((key) => !declared.has(key));
      if (unknown.length > 0) {
        throw await this.exceptionFactory(
          unknown.map((property) => ({
            property,
            constraints: { whitelistValidation: `property ${property} should not exist` },
            children: [],
          })),
        );
      }
    }
    if (nestsDeeperThan(value, MAX_NESTING_DEPTH)) throw await this.tooDeep(value, metadata);
    return super.transform(value, metadata);
  }

  /**
   * The 400 for a value nested beyond the bound. Each property nested too deep is validated as an
   * empty array or object in its place (the rest as it came), so that a property with a rule is
   * refused in that rule's terms (`batchSize must be an integer from 1 to 50000`) before the
   * bound is named; the request is refused even if the stand-ins pass.
   */
  private async tooDeep(value: unknown, metadata: ArgumentMetadata): Promise<BadRequestException> {
    const messages: string[] = [];
    if (this.toValidate(metadata) && isRecord(value)) {
      const bounded = Object.fromEntries(
        Object.entries(value).map(([key, member]) => [
          key,
          nestsDeeperThan(member, MAX_NESTING_DEPTH - 1)
            ? Array.isArray(member)
              ? []
              : {}
            : member,
        ]),
      );
      try {
        await super.transform(bounded, metadata);
      } catch (error) {
        if (!(error instanceof HttpException)) throw error;
        messages.push(...messagesOf(error));
      }
    }
    const where = metadata.type === 'body' ? 'the body' : `the ${metadata.type}`;
    return new BadRequestException([
      ...messages,
      `${where} is nested deeper than ${MAX_NESTING_DEPTH} levels`,
    ]);
  }
}
