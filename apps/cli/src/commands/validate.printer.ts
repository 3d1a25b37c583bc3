import type { ValidationReport } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { byReason } from '../output-format.js';

/** The human view of `validate`: the buckets with their reasons, then the samples. */
export const printValidation = (out: CliOutput, report: ValidationReport): void => {
  out.line(`Validation: ${(report.durationMs / 1000).toFixed(1)}s`);
  out.row('scanned', report.scanned);
  out.row('valid', report.valid);
  if (report.normalized > 0)
    out.row('normalized', report.normalized, byReason(report.normalizedByNote));
  out.row('skipped', report.skipped, byReason(report.skippedByReason));
  out.row('rejected', report.rejected, byReason(report.rejectedByReason));
  out.samples(report.samples);
};
