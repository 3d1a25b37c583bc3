import { type ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

/** The properties a DTO class declares rules for (its own and inherited ones). */
const declaredProperties = (metatype: ArgumentMetadata['metatype']): ReadonlySet<string> => {
  if (typeof metatype !== 'function') return new Set();
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
  return new Set(metadatas.map((metadata) => metadata.propertyName));
};

/**
 * Request validation that refuses every unknown property, whatever its name.
 *
 * class-validator's whitelist alone lets the names of Object.prototype through: it looks each
 * property up in a plain object of rules, where `constructor`, `toString`, `hasOwnProperty`,
 * `valueOf` or `__proto__` resolve to the prototype's members and so count as declared. Before
 * that, Nest strips `constructor` and `__proto__` and class-transformer skips any name the
 * instance inherits a function under, so the property silently disappears and the request runs
 * (a 200 for `{"action":"validate","constructor":1}`). The own keys of the value as it arrived
 * are therefore checked here, against a Set, before either of them sees it.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) {
      const declared = declaredProperties(metadata.metatype);
      if (declared.size > 0) {
        const unknown = Object.keys(value).filter((key) => !declared.has(key));
        if (unknown.length > 0) {
          throw await this.exceptionFactory(
            unknown.map((property) => ({ property, constraints: { whitelistValidation: `property ${property} should not exist` }, children: [] })),
          );
        }
      }
    }
    return super.transform(value, metadata);
  }
}
