/** Why one key was rejected or skipped. `code` is stable and machine-readable. */
export interface OutcomeReason {
  code: string;
  message: string;
  field?: string;
}
