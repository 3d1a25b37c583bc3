import { Injectable } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';
import type { AuditLogEntity } from './audit-log.entity.js';

export interface AuditPage {
  entries: AuditLogEntity[];
  total: number;
  offset: number;
  limit: number;
}

/** Reads the audit log: who did what, with which parameters, and how it ended. */
@Injectable()
export class AuditTrailService {
  constructor(private readonly audit: AuditRepository) {}

  async page(offset: number, limit: number): Promise<AuditPage> {
    return { ...(await this.audit.page(offset, limit)), offset, limit };
  }
}
