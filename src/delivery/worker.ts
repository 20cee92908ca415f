// The delivery loop: claim what is due (within concurrency limits), POST it, record the outcomes in batches.
import type { Config, Subscription } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import type { AttemptOutcome, ClaimedDelivery, Store } from "../store/index.ts";
import { runAttempt, unconfiguredOutcome } from "./attempt.ts";
import { leaseMs, shutdownGraceMs } from "./retry.ts";

/** The longest the idle loop sleeps without a wake-up, in case another process added work to the database. */
const IDLE_RECHECK_MS = 2_000;
/** Orphaned deliveries failed per step. */
const ORPHAN_BATCH = 500;
/** After a store error (a locked or full disk, say) the loop waits this long and tries again. */
const ERROR_BACKOFF_MS = 1_000;

export interface WorkerOptions {
  store: Store;
  config: Config;
  plugins: PluginRegistry;
  clock: Clock;
  log?: Logger;
  /** Told of every finished attempt (metrics). */
  onAttempt?: (subscriptionId: string, outcome: AttemptOutcome) => void;
}

export class DeliveryWorker {
  private readonly subscriptions: Map<string, Subscription>;
  /** Each subscription's lease follows its own timeout: a slow one does not slow the others' recovery. */
  private readonly leases: Map<string, number>;
  private readonly log: Logger;
  private readonly inflightBySubscription = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private outcomes: AttemptOutcome[] = [];
  private flushQueued = false;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private wakeQueued = false;
  private rotation = 0;
  private lastOrphanCheck = -Infinity;
  private stopRequested!: () => void;
  private readonly stopping = new Promise<void>((resolve) => (this.stopRequested = resolve));

  constructor(private readonly options: WorkerOptions) {
    this.subscriptions = new Map(options.config.subscriptions.map((s) => [s.id, s]));
    this.leases = new Map(options.config.subscriptions.map((s) => [s.id, leaseMs([s.retry])]));
    this.log = options.log ?? silentLogger;
  }

  start() {
    this.running = true;
    this.loopDone = this.loop();
  }

  /** POSTs in flight right now. */
  get inflightCount() {
    return this.inflight.size;
  }

  /** Called after a publish, a resend or a finished attempt: there may be work due right now. */
  wake() {
    // Many wake-ups in one turn of the event loop (a burst of publishes or finished attempts) make one claim.
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.wakeUp?.();
    });
  }

  /**
   * Stops claiming, waits for attempts in flight (each ends by its timeout) and writes what they found.
   * An attempt still running past the grace period is simply attempted again after its lease.
   */
  async stop() {
    this.running = false;
    this.stopRequested();
    this.wakeUp?.();
    await this.loopDone;
    let timer: Timer | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, shutdownGraceMs(this.options.config.subscriptions.map((s) => s.retry)))));
    await Promise.race([Promise.all(this.inflight), grace]);
    clearTimeout(timer);
    this.flush();
  }

  /** Runs everything due at the clock's current time to completion; tests drive the worker with this. */
  async drain() {
    for (;;) {
      while (this.failUnconfigured() > 0);
      const launched = this.claimAndLaunch();
      if (launched === 0 && this.inflight.size === 0) break;
      await Promise.all(this.inflight);
      this.flush();
    }
    this.flush();
  }

  private async loop() {
    while (this.running) {
      try {
        await this.step();
      } catch (error) {
        // Whatever failed (the store, most likely) is tried again: the loop must outlive any one error.
        this.log.error("delivery loop error; retrying", { error: String(error) });
        await Promise.race([Bun.sleep(ERROR_BACKOFF_MS), this.stopping]); // wake-ups must not cut this short
      }
    }
  }

  private async step() {
    // Orphans are looked for now and then, busy or not: a loaded worker must not leave them pending.
    const moreOrphans = this.options.clock.now() - this.lastOrphanCheck >= IDLE_RECHECK_MS && this.failUnconfigured() === ORPHAN_BATCH;
    const free = this.options.config.delivery.concurrency - this.inflight.size;
    const launched = free > 0 ? this.claimAndLaunch() : 0;
    if (launched === free) {
      await this.sleep(null); // every slot is busy: the next finished attempt wakes us
    } else if (moreOrphans) {
      await new Promise((resolve) => setImmediate(resolve)); // let requests in, then the next batch
    } else if (launched === 0) {
      const next = this.options.store.nextDueAt();
      const now = this.options.clock.now();
      // Due yet unclaimable means a subscription at its limit: a finished attempt wakes us.
      await this.sleep(next === null || next <= now ? IDLE_RECHECK_MS : Math.min(IDLE_RECHECK_MS, next - now));
    }
    // launched some but fewer than free: step again at once, more may have become due meanwhile
  }

  private sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(done, ms);
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Claims as much as the free slots allow, starting from a different subscription each time (fairness). */
  private claimAndLaunch(): number {
    const { config, store, clock } = this.options;
    const free = config.delivery.concurrency - this.inflight.size;
    if (free <= 0 || this.subscriptions.size === 0) return 0;
    const ids = [...this.subscriptions.keys()];
    this.rotation = (this.rotation + 1) % ids.length;
    const limits = new Map<string, { count: number; leaseMs: number }>();
    for (const id of [...ids.slice(this.rotation), ...ids.slice(0, this.rotation)]) {
      limits.set(id, { count: config.delivery.perSubscription - (this.inflightBySubscription.get(id) ?? 0), leaseMs: this.leases.get(id)! });
    }
    const claimed = store.claimDue(limits, free, clock.now());
    for (const delivery of claimed) this.launch(delivery);
    return claimed.length;
  }

  private launch(delivery: ClaimedDelivery) {
    const subscription = this.subscriptions.get(delivery.subscriptionId)!;
    const counts = this.inflightBySubscription;
    counts.set(subscription.id, (counts.get(subscription.id) ?? 0) + 1);
    const task = runAttempt(delivery, subscription, this.options.plugins, this.options.clock)
      .then((outcome) => {
        this.options.onAttempt?.(subscription.id, outcome);
        this.queueOutcome(outcome);
      })
      .catch((error) => this.log.error("attempt crashed", { delivery: delivery.id, error: String(error) }))
      .finally(() => {
        counts.set(subscription.id, counts.get(subscription.id)! - 1);
        this.inflight.delete(task);
        this.wake();
      });
    this.inflight.add(task);
  }

  // Outcomes finishing close together share one transaction: far fewer commits under load.
  private queueOutcome(outcome: AttemptOutcome) {
    this.outcomes.push(outcome);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  private flush() {
    this.flushQueued = false;
    if (this.outcomes.length === 0) return;
    const batch = this.outcomes;
    this.outcomes = [];
    try {
      this.options.store.recordAttempts(batch, this.options.clock.now());
    } catch (error) {
      // Nothing is lost, but these deliveries stay leased and are POSTed again when their leases end.
      this.log.error("could not record attempts", { count: batch.length, error: String(error) });
    }
  }

  /**
   * Fails one batch of deliveries whose subscription is gone; returns how many. One batch per step keeps a
   * large backlog of them from blocking the event loop: the next step takes the next batch.
   */
  private failUnconfigured(): number {
    const { store, clock } = this.options;
    const now = clock.now();
    const orphans = store.claimOrphans([...this.subscriptions.keys()], now, ORPHAN_BATCH);
    if (orphans.length > 0) {
      const outcomes = orphans.map((d) => unconfiguredOutcome(d, now));
      store.recordAttempts(outcomes, now);
      orphans.forEach((d, i) => this.options.onAttempt?.(d.subscriptionId, outcomes[i]!));
    } else this.lastOrphanCheck = now;
    return orphans.length;
  }
}
