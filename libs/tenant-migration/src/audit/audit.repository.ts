import { Injectable } from '@nestjs/common';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import type { Repository } from 'typeorm';
import { AuditLogEntity } from './audit-log.entity.js';
import { errorMessage } from '../common/error-message.js';

/** Appends to the audit log. Parameters and outcomes must never carry secrets. */
@Injectable()
export class AuditRepository {
  constructor(
    @InjectTenantRepository(AuditLogEntity) private readonly log: Repository<AuditLogEntity>,
  ) {}

  /** A page of the log, newest first, and how many entries it holds. */
  async page(offset: number, limit: number): Promise<{ entries: AuditLogEntity[]; total: number }> {
    const [entries, total] = await this.log.findAndCount({
      order: { at: 'DESC', id: 'DESC' },
      skip: offset,
      take: limit,
    });
    return { entries, total };
  }

  async record(
    entry: Pick<AuditLogEntity, 'actor' | 'action' | 'params' | 'status' | 'outcome'>,
  ): Promise<void> {
    await this.log.save(this.log.create(entry));
  }

  /**
   * Runs an operation and records it, whether it succeeds or fails; the failure is rethrown.
   * `summarize` picks what of the result belongs in the log.
   */
  async around<T>(
    entry: { actor?: string | null; action: string; params: Record<string, unknown> },
    operation: () => Promise<T>,
    summarize: (result: T) => Record<string, unknown>,
  ): Promise<T> {
    try {
      const result = await operation();
      await this.record({
        actor: entry.actor ?? null,
        action: entry.action,
        params: entry.params,
        status: 'succeeded',
        outcome: summarize(result),
      });
      return result;
    } catch (error) {
      const outcome = { error: errorMessage(error) };
      await this.record({
        actor: entry.actor ?? null,
        action: entry.action,
        params: entry.params,
        status: 'failed',
        outcome,
      }).catch(() => undefined);
      throw error;
    }
  }
}
