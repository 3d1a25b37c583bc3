import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { BearerTokenGuard } from './bearer-token.js';

/** Bearer-token authentication for the admin API (constant-time comparison). */
@Injectable()
export class AdminTokenGuard extends BearerTokenGuard {
  constructor(config: ConfigService<EnvironmentVariables, true>) {
    super(
      config.get('ADMIN_TOKEN', { infer: true }),
      'ADMIN_TOKEN is not set: the admin API never runs unauthenticated',
      'a valid admin bearer token is required',
    );
  }
}
