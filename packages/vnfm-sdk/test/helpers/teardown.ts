import { afterAll, afterEach, expect } from 'vitest';
import { withTimeout } from './wait.js';

type Cleanup = () => unknown;

interface Entry {
  readonly label: string;
  readonly cleanup: Cleanup;
}

/** Deadline of one cleanup step. */
const CLEANUP_TIMEOUT_MS = 15_000;

function insideTest(): boolean {
  try {
    return expect.getState().currentTestName !== undefined;
  } catch {
    return false;
  }
}

async function runAll(entries: Entry[]): Promise<void> {
  const errors: Error[] = [];
  // Last registered, first cleaned: a consumer goes before the connection it lives on.
  for (const entry of entries.splice(0).reverse()) {
    try {
      await withTimeout(Promise.resolve().then(entry.cleanup), { timeoutMs: CLEANUP_TIMEOUT_MS, what: `teardown of ${entry.label}` });
    } catch (error) {
      errors.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `${errors.length} teardown steps failed: ${errors.map((e) => e.message).join('; ')}`);
}

/**
 * Cleanup registry for tests: register a resource the moment it is created; it is released after the
 * current test (`afterEach`) — or after the file (`afterAll`) when registered outside a test, e.g. in
 * `beforeAll`. Steps run last-in first-out, each with a deadline; all run even when one fails.
 * Importing this module installs the hooks in the importing test file.
 */
export class TeardownRegistry {
  private readonly perTest: Entry[] = [];
  private readonly perFile: Entry[] = [];

  /** Registers a cleanup step. */
  add(cleanup: Cleanup, label = 'a test resource'): void {
    (insideTest() ? this.perTest : this.perFile).push({ label, cleanup });
  }

  /** Registers a cleanup step that runs after the whole file, wherever it is called from. */
  addForFile(cleanup: Cleanup, label = 'a file resource'): void {
    this.perFile.push({ label, cleanup });
  }

  /** Registers `resource.close()` and returns the resource, for `const t = teardown.track(await connect())`. */
  track<T extends { close(): unknown }>(resource: T, label = 'a closable resource'): T {
    this.add(() => resource.close(), label);
    return resource;
  }

  /** Runs the per-test steps (called by the installed `afterEach`). */
  runTest(): Promise<void> {
    return runAll(this.perTest);
  }

  /** Runs the per-file steps (called by the installed `afterAll`). */
  runFile(): Promise<void> {
    return runAll(this.perFile);
  }
}

/** The registry of the importing test file, hooked into its `afterEach`/`afterAll`. */
export const teardown = new TeardownRegistry();

afterEach(() => teardown.runTest());
afterAll(() => teardown.runFile());
