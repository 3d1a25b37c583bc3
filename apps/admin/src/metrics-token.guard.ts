import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { BearerTokenGuard } from './bearer-token.js';

/**
 * Bearer-token authentication for `GET /metrics`: METRICS_TOKEN, or ADMIN_TOKEN when it is
 * unset, so a scraper can be given a token that opens nothing else. Like the admin API, the
 * metrics are never served unauthenticated: with neither token the app does not start.
 */
@Injectable()
export class MetricsTokenGuard extends BearerTokenGuard {
  constructor(config: ConfigService<EnvironmentVariables, true>) {
    super(
      config.get('METRICS_TOKEN', { infer: true }) ?? config.get('ADMIN_TOKEN', { infer: true }),
      'neither METRICS_TOKEN nor ADMIN_TOKEN is set: /metrics is never open',
      'a valid metrics bearer token is required',
    );
  }
}
