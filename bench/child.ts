/**
 * Child processes of the benchmark: each step (seed, schema, reference, a CLI command) runs to
 * completion with its wall time and peak RSS measured, and any exit the step does not accept
 * fails the whole benchmark with a `BenchStepError` naming the step.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BenchStepError, exitAccepted, exitReason } from './figures.js';

export interface Measurement {
  seconds: number;
  peakRssMb: number;
  output: string;
}

/** One step: its name (in the failure line), the command, and the exit codes it accepts. */
export interface Step {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Exit codes that count as success; 0 only unless the step says otherwise. */
  acceptExit?: readonly number[];
}

/** The child's peak RSS in bytes (VmHWM, the kernel's high-water mark), 0 once it is gone. */
const peakRss = (pid: number): number => {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** Runs a step to completion; returns wall time, peak RSS and stdout (stderr passes through). */
export const measure = (step: Step): Promise<Measurement> =>
  new Promise((resolvePromise, reject) => {
    const accepted = step.acceptExit ?? [0];
    const started = process.hrtime.bigint();
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: { ...process.env, ...step.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let peak = 0;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid ?? 0))), 50);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(new BenchStepError(step.name, `could not start ${step.command}: ${error.message}`));
    });
    child.on('exit', () => (peak = Math.max(peak, peakRss(child.pid ?? 0))));
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (!exitAccepted(code, signal, accepted))
        reject(new BenchStepError(step.name, exitReason(code, signal)));
      else resolvePromise({ seconds, peakRssMb: Math.round(peak / 1048576), output });
    });
  });
