import { ApiProperty } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

/** `GET /health`, 200 and 503 alike. */
export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error'] }) status!: string;
  @ApiProperty({ enum: ['up', 'down'] }) postgres!: string;
  @ApiProperty({ enum: ['up', 'down'] }) redis!: string;
}

const CHECKS: SchemaObject = { type: 'object', additionalProperties: { type: 'object' } };

/** Terminus' document of `GET /health/live` and `/health/ready`, 200 and 503 alike. */
export const TERMINUS_HEALTH_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: CHECKS,
    error: CHECKS,
    details: CHECKS,
  },
};
