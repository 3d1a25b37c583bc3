import { Injectable } from '@nestjs/common';
import type { Repository } from 'typeorm';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import { BackupEntity } from './backup.entity.js';

/** The `backups` table: the record of every backup file this system wrote. */
@Injectable()
export class BackupRepository {
  constructor(
    @InjectTenantRepository(BackupEntity) private readonly backups: Repository<BackupEntity>,
  ) {}

  /** The newest `limit` records, newest first. */
  latest(limit: number): Promise<BackupEntity[]> {
    return this.backups.find({ order: { createdAt: 'DESC' }, take: limit });
  }

  findById(id: string): Promise<BackupEntity | null> {
    return this.backups.findOneBy({ id });
  }

  findByPath(path: string): Promise<BackupEntity | null> {
    return this.backups.findOneBy({ path });
  }

  /** Inserts a new record. */
  insert(record: BackupEntity): Promise<BackupEntity> {
    return this.backups.save(this.backups.create(record));
  }

  /** Stores the record's `verifiedAt`. */
  async markVerified(record: BackupEntity, at: Date): Promise<BackupEntity> {
    record.verifiedAt = at;
    return this.backups.save(record);
  }
}
