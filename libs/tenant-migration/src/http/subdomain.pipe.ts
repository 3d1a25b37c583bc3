import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { TenantValidator } from '../validation/tenant-validator.js';

/** The longest name a subdomain input may have: a whole DNS name (the sync body's bound too). */
const MAX_INPUT_LENGTH = 253;

/**
 * A route's `:subdomain` as the validation normalises it (`MyShop` is `myshop`); a name no tenant
 * can have is InvalidSubdomainError (400 `invalid-subdomain`, with every reason), before any
 * store is asked. A name longer than a DNS name is refused unread (400, its length only), so a
 * 10 kB path is never echoed back.
 */
@Injectable()
export class SubdomainPipe implements PipeTransform<string, string> {
  constructor(private readonly validator: TenantValidator) {}

  transform(value: string): string {
    if (value.length > MAX_INPUT_LENGTH)
      throw new BadRequestException(
        `subdomain must be at most ${MAX_INPUT_LENGTH} characters (it has ${value.length})`,
      );
    return this.validator.requireSubdomain(value);
  }
}
