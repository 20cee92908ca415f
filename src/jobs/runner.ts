// Runs jobs in the background, a batch at a time, yielding to the event loop between batches so the API and
// the delivery worker keep answering while a bulk resend goes through a million events.
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../store/index.ts";

/** Events per batch: one short transaction each (a few milliseconds). */
export const JOB_BATCH = 500;

export interface JobRunnerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Tells the delivery worker there is new work. */
  onWork: () => void;
}

export class JobRunner {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(private readonly deps: JobRunnerDeps) {}

  /** Takes up the jobs a stop or a crash left running, from where their last batch ended. */
  resume() {
    for (const id of this.deps.store.runningJobIds()) this.start(id);
  }

  start(id: string) {
    if (this.stopping || this.running.has(id)) return;
    const task = this.run(id).finally(() => this.running.delete(id));
    this.running.set(id, task);
  }

  /** Lets each job finish its current batch; what is left stays `running` and resumes at the next start. */
  async stop() {
    this.stopping = true;
    await Promise.all(this.running.values());
  }

  private async run(id: string) {
    const { store, clock, log, onWork } = this.deps;
    try {
      // Yield first: the request that started the job is answered before any work is done.
      while ((await new Promise((resolve) => setImmediate(resolve)), !this.stopping)) {
        const job = store.resendJobStep(id, JOB_BATCH, clock.now());
        onWork();
        if (job.state !== "running") return;
      }
    } catch (error) {
      const message = String((error as Error)?.message ?? error);
      log.error("job failed", { job: id, error: message });
      try {
        store.failJob(id, message, clock.now());
      } catch {
        // The store itself is failing: the job stays running and resumes at the next start.
      }
    }
  }
}
