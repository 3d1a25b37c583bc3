import { RootMigrateCommand } from './root.command.js';
import { DryRunCommand, MigrateCommand, ResumeCommand } from './migrate.command.js';
import { ValidateCommand } from './validate.command.js';
import { CheckCommand } from './check.command.js';
import { SyncCommand } from './sync.command.js';
import { CleanupCommand } from './cleanup.command.js';
import { ReportCommand, StatsCommand } from './report.command.js';
import { RunsCommand } from './runs.command.js';
import { BackupCommand, BackupListCommand, BackupVerifyCommand } from './backup.command.js';
import { RestoreCommand, RestorePostgresCommand } from './restore.command.js';
import { TestCommand } from './test.command.js';
import { ExceptionsCommand, ExceptionsExportCommand } from './exceptions.command.js';
import {
  OperationsCancelCommand,
  OperationsCommand,
  OperationsFollowCommand,
  OperationsListCommand,
  OperationsPauseCommand,
  OperationsResumeCommand,
  OperationsShowCommand,
} from './operations.command.js';
import { OperationsStartCommand } from './operations-start.command.js';

/** Every command of the CLI; registered as providers of CliModule. */
export const COMMANDS = [
  RootMigrateCommand,
  MigrateCommand,
  DryRunCommand,
  ResumeCommand,
  ValidateCommand,
  CheckCommand,
  SyncCommand,
  CleanupCommand,
  StatsCommand,
  ReportCommand,
  RunsCommand,
  BackupCommand,
  BackupVerifyCommand,
  BackupListCommand,
  RestoreCommand,
  RestorePostgresCommand,
  TestCommand,
  ExceptionsCommand,
  ExceptionsExportCommand,
  OperationsCommand,
  OperationsStartCommand,
  OperationsListCommand,
  OperationsShowCommand,
  OperationsFollowCommand,
  OperationsCancelCommand,
  OperationsPauseCommand,
  OperationsResumeCommand,
];
