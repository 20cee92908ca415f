// Runs jobs in the background, a batch at a time, yielding to the event loop between batches so the API and
// the delivery worker keep answering while a bulk resend goes through a million events.
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { StorageUnavailable } from "../store/errors.ts";
import type { Store } from "../store/index.ts";

/** Events per batch: one short transaction each (a few milliseconds). */
export const JOB_BATCH = 500;

export interface JobRunnerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Tells the delivery worker there is new work. */
  onWork: () => void;
  /** Looks for new jobs now and then: they are recorded by another process's API. */
  pollForNew?: boolean;
}

/** After a store error that may pass (a full disk, a held lock), the job waits this long and tries its step again. */
const STORAGE_RETRY_MS = 1_000;

/** How often a runner beside no API looks for jobs another process recorded. */
const POLL_MS = 2_000;

export class JobRunner {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private pollTimer: Timer | undefined;

  constructor(private readonly deps: JobRunnerDeps) {}

  /** Takes up the jobs a stop or a crash left running, from where their last batch ended. */
  async resume() {
    for (const id of await this.deps.store.jobs.runningIds()) this.start(id);
    if (this.deps.pollForNew && !this.stopping && this.pollTimer === undefined) {
      this.pollTimer = setInterval(() => void this.resume().catch((error) => this.deps.log.error("looking for jobs failed", { error: String(error) })), POLL_MS);
    }
  }

  start(id: string) {
    if (this.stopping || this.running.has(id)) return;
    const task = this.run(id).finally(() => this.running.delete(id));
    this.running.set(id, task);
  }

  /** Lets each job finish its current batch; what is left stays `running` and resumes at the next start. */
  async stop() {
    this.stopping = true;
    clearInterval(this.pollTimer);
    await Promise.all(this.running.values());
  }

  /** One batch; null if the store could not take it this time (the step is done again after a pause). */
  private async step(id: string) {
    try {
      return await this.deps.store.jobs.resendStep(id, JOB_BATCH, this.deps.clock.now());
    } catch (error) {
      if (!(error instanceof StorageUnavailable)) throw error;
      this.deps.log.warn("job step could not be written; will retry", { job: id, error: error.message });
      await new Promise((resolve) => setTimeout(resolve, STORAGE_RETRY_MS));
      return null;
    }
  }

  private async run(id: string) {
    const { store, clock, log, onWork } = this.deps;
    try {
      // Yield first: the request that started the job is answered before any work is done.
      while ((await new Promise((resolve) => setImmediate(resolve)), !this.stopping)) {
        const job = await this.step(id);
        if (job === null) continue;
        onWork();
        if (job.state !== "running") return;
      }
    } catch (error) {
      const message = String((error as Error)?.message ?? error);
      log.error("job failed", { job: id, error: message });
      try {
        await store.jobs.fail(id, message, clock.now());
      } catch {
        // The store itself is failing: the job stays running and resumes at the next start.
      }
    }
  }
}
