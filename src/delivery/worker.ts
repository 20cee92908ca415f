// The delivery loop: claim what is due (within concurrency limits), POST it, record the outcomes in batches.
import type { LiveConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { silentLogger, type Logger } from "../log.ts";
import { StorageUnavailable } from "../store/errors.ts";
import type { AttemptOutcome, ClaimedDelivery, EventRecord, Store } from "../store/index.ts";
import { runAttempt, undeliverableOutcome } from "./attempt.ts";
import { outboundPolicy } from "./outbound.ts";
import type { Subscription } from "../domain/subscription.ts";
import { leaseMs, shutdownGraceMs } from "../domain/retry.ts";
import { reservedSlots } from "../domain/slots.ts";
import { RateLimits } from "./rate-limits.ts";

/** The longest the idle loop sleeps without a wake-up, in case another process added work to the database. */
const IDLE_RECHECK_MS = 2_000;
/** Up to this many subscriptions with free slots, a claim asks each of them without first asking which have work due. */
const CLAIM_DIRECTLY_UP_TO = 8;
/** Orphaned deliveries failed per step. */
const ORPHAN_BATCH = 500;
/** After a store error (a locked or full disk, say) the loop waits this long and tries again. */
const ERROR_BACKOFF_MS = 1_000;

/** What the worker asks of the subscriptions (the directory answers it). */
export interface DeliveryTargets {
  /** Enabled subscriptions: the only ones delivered to. */
  active(): readonly Subscription[];
  /** The enabled subscription with this id, if there is one. */
  activeSubscription(id: string): Subscription | undefined;
  /** Why deliveries to `id` cannot go out: they are failed with this in the attempt log. */
  inactiveReason(id: string): { kind: "disabled" | "unconfigured"; message: string };
  /** Reads them again from the store: another process may have changed them. */
  refresh(): Promise<void>;
}

export interface WorkerOptions {
  store: Store;
  /** Delivery limits and plugins: read at each use, so a reload takes effect at once. */
  live: LiveConfig;
  /** Which subscriptions are delivered to (the enabled ones) and why the others are not. */
  directory: DeliveryTargets;
  clock: Clock;
  log?: Logger;
  /** Told of every finished attempt (metrics, the log). */
  onAttempt?: (subscriptionId: string, outcome: AttemptOutcome) => void;
  /** Told of each attempt sent once its outcome is recorded (what follows from it: health, Herald's own events). */
  onRecorded?: (subscriptionId: string, outcome: AttemptOutcome, event: EventRecord) => void;
  /**
   * Read the subscriptions from the store before looking for deliveries of unknown ones: another process's API
   * may have made them, and they must be delivered, not failed as unconfigured.
   */
  refreshSubscriptions?: boolean;
}

export class DeliveryWorker {
  private readonly log: Logger;
  private readonly inflightBySubscription = new Map<string, number>();
  private readonly rates: RateLimits;
  private readonly inflight = new Set<Promise<void>>();
  private outcomes: { outcome: AttemptOutcome; subscriptionId: string; event: EventRecord }[] = [];
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
    this.log = options.log ?? silentLogger;
    this.rates = new RateLimits(() => options.clock.now());
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
    const policies = this.options.directory.active().map((s) => s.retry);
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, shutdownGraceMs(policies))));
    await Promise.race([Promise.all(this.inflight), grace]);
    clearTimeout(timer);
    await this.flush();
  }

  /** Runs everything due at the clock's current time to completion; tests drive the worker with this. */
  async drain() {
    for (;;) {
      while ((await this.failUnconfigured()) > 0);
      const launched = await this.claimAndLaunch();
      if (launched === 0 && this.inflight.size === 0) break;
      await Promise.all(this.inflight);
      await this.flush();
    }
    await this.flush();
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
    // Outcomes a store error left unrecorded go first: were their deliveries claimed again once their leases
    // ended, the answers already received would be asked for again.
    if (!(await this.flush())) throw new Error(`${this.outcomes.length} attempt outcomes not recorded yet`);
    // Orphans are looked for now and then, busy or not: a loaded worker must not leave them pending.
    const moreOrphans = this.options.clock.now() - this.lastOrphanCheck >= IDLE_RECHECK_MS && (await this.failUnconfigured()) === ORPHAN_BATCH;
    const free = this.options.live.config.delivery.concurrency - this.inflight.size;
    const launched = free > 0 ? await this.claimAndLaunch() : 0;
    if (launched === free) {
      await this.sleep(null); // every slot is busy: the next finished attempt wakes us
    } else if (moreOrphans) {
      await new Promise((resolve) => setImmediate(resolve)); // let requests in, then the next batch
    } else {
      // Everything due was claimed (or is held back by its subscription's limit, which a finished attempt
      // lifts): no second claim at once, which would find nothing; sleep until the next due time, a publish,
      // or a finished attempt.
      // A rate limit lifts by itself, with no attempt finishing: wake when the first throttled one may go again.
      const next = await this.options.store.queue.nextDueAt();
      const now = this.options.clock.now();
      const wait = next === null || next <= now ? IDLE_RECHECK_MS : Math.min(IDLE_RECHECK_MS, next - now);
      await this.sleep(Math.min(wait, Math.max(1, this.rates.nextFreeAt(now) - now)));
    }
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

  /**
   * Claims as much as the free slots allow, starting from a different subscription each time (fairness). Each
   * subscription's lease follows its own timeout: a slow one does not slow the others' recovery. A subscription
   * with nothing in flight gets its first slot before the others take more, and the others leave slots free for
   * those still idle (reservedSlots), so hung receivers cannot starve a healthy one.
   */
  private async claimAndLaunch(): Promise<number> {
    const { live, directory, store, clock } = this.options;
    const { concurrency, perSubscription } = live.config.delivery;
    const free = concurrency - this.inflight.size;
    const active = directory.active();
    if (free <= 0 || active.length === 0) return 0;
    const inflight = (s: Subscription) => this.inflightBySubscription.get(s.id) ?? 0;
    const now = clock.now();
    // What each may take now: within its share of the slots and its rate limit. A throttled subscription's
    // deliveries stay in the queue, unclaimed (their retry budget untouched), and the others go on.
    const room = (s: Subscription) => Math.min(perSubscription - inflight(s), this.rates.room(s, now));
    // A subscription at its own limit can take nothing: with every one there (a receiver holding its answers),
    // the store is not asked at all.
    const open = active.filter((s) => room(s) > 0);
    if (open.length === 0) return 0;
    // With many subscriptions, only those with something due are claimed from: the claim's cost follows the work
    // due, not the number of subscriptions (a thousand idle ones beside a busy one cost nothing). With a few,
    // claiming from each costs no more than asking which have work due, so they are claimed from at once.
    const due = open.length <= CLAIM_DIRECTLY_UP_TO ? open : (await store.queue.dueSubscriptions(clock.now())).flatMap((id) => directory.activeSubscription(id) ?? []).filter((s) => room(s) > 0);
    if (due.length === 0) return 0;
    this.rotation = (this.rotation + 1) % due.length;
    const ordered = [...due.slice(this.rotation), ...due.slice(0, this.rotation)];
    const byId = new Map(due.map((s) => [s.id, s]));
    const claim = async (counts: [Subscription, number][], total: number) => {
      const limits = new Map(counts.filter(([, count]) => count > 0).map(([s, count]) => [s.id, { count, leaseMs: leaseMs([s.retry]), ordered: s.ordering !== null }]));
      const claimed = total > 0 && limits.size > 0 ? await store.queue.claimDue(limits, total, clock.now()) : [];
      for (const delivery of claimed) this.launch(delivery, byId.get(delivery.subscriptionId)!);
      return claimed.length;
    };
    const first = await claim(
      ordered.filter((s) => inflight(s) === 0).map((s) => [s, 1]),
      free,
    );
    // Counted after the first claims (those subscriptions are no longer idle), over every active subscription,
    // due or not: the slots are kept for whichever of them gets an event next.
    const idle = active.length - [...this.inflightBySubscription.keys()].filter((id) => directory.activeSubscription(id)).length;
    const more = await claim(
      ordered.map((s) => [s, room(s)]),
      free - first - reservedSlots(idle, concurrency),
    );
    return first + more;
  }

  private launch(delivery: ClaimedDelivery, subscription: Subscription) {
    const ended = this.rates.start(subscription);
    const counts = this.inflightBySubscription;
    counts.set(subscription.id, (counts.get(subscription.id) ?? 0) + 1);
    const { live, clock } = this.options;
    const task = runAttempt(delivery, subscription, live.plugins, clock, outboundPolicy(live.config.delivery), live.config.delivery)
      .then((outcome) => {
        this.options.onAttempt?.(subscription.id, outcome);
        this.queueOutcome({ outcome, subscriptionId: subscription.id, event: delivery.event });
      })
      .catch((error) => this.log.error("attempt crashed", { delivery: delivery.id, error: String(error) }))
      .finally(() => {
        ended();
        // Only subscriptions with something in flight keep an entry: the count of busy ones stays cheap.
        const left = counts.get(subscription.id)! - 1;
        if (left === 0) counts.delete(subscription.id);
        else counts.set(subscription.id, left);
        this.inflight.delete(task);
        this.wake();
      });
    this.inflight.add(task);
  }

  // Outcomes finishing close together share one transaction: far fewer commits under load.
  private queueOutcome(finished: DeliveryWorker["outcomes"][number]) {
    this.outcomes.push(finished);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Records the outcomes waiting; false if the store failed, and then they wait for the next try. */
  private async flush(): Promise<boolean> {
    this.flushQueued = false;
    if (this.outcomes.length === 0) return true;
    const batch = this.outcomes;
    this.outcomes = [];
    try {
      await this.options.store.queue.recordAttempts(
        batch.map((b) => b.outcome),
        this.options.clock.now(),
      );
      for (const { subscriptionId, outcome, event } of batch) this.options.onRecorded?.(subscriptionId, outcome, event);
      // A delivery of an ordered line just recorded may have been holding the next one: that one is due now. (The
      // attempt's end already woke the worker, but before its outcome was recorded; others need no second wake.)
      if (batch.some((b) => this.options.directory.activeSubscription(b.subscriptionId)?.ordering)) this.wake();
      return true;
    } catch (error) {
      if (!(error instanceof StorageUnavailable)) {
        // Not one that passes (a bug): retrying would stop every delivery. These stay leased and are POSTed
        // again when their leases end.
        this.log.error("could not record attempts", { count: batch.length, error: String(error) });
        return true;
      }
      // Kept, not dropped: the loop tries again (step) before it claims anything more.
      this.outcomes = [...batch, ...this.outcomes];
      this.log.error("could not record attempts; will retry", { count: batch.length, error: error.message });
      this.wake();
      return false;
    }
  }

  /**
   * Fails one batch of deliveries whose subscription is disabled or gone; returns how many. One batch per step
   * keeps a large backlog of them from blocking the event loop: the next step takes the next batch.
   */
  private async failUnconfigured(): Promise<number> {
    const { store, clock, directory } = this.options;
    if (this.options.refreshSubscriptions) await directory.refresh();
    const now = clock.now();
    // Asked only when a subscription with something due is unknown: the list of known ones can be long.
    const unknownDue = (await store.queue.dueSubscriptions(now)).some((id) => !directory.activeSubscription(id));
    const orphans = unknownDue
      ? await store.queue.claimOrphans(
          directory.active().map((s) => s.id),
          now,
          ORPHAN_BATCH,
        )
      : [];
    if (orphans.length > 0) {
      const outcomes = orphans.map((d) => undeliverableOutcome(d, directory.inactiveReason(d.subscriptionId), now));
      await store.queue.recordAttempts(outcomes, now);
      orphans.forEach((d, i) => this.options.onAttempt?.(d.subscriptionId, outcomes[i]!));
    } else this.lastOrphanCheck = now;
    return orphans.length;
  }
}
