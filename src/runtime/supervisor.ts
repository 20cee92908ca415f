// Starts Herald's parts in a declared order and stops them in the reverse one: each part stops only after
// everything started after it (and so possibly using it) has stopped. A part that fails to start stops the
// ones already started before the error goes on.
import type { Logger } from "../log.ts";

export interface Task {
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export class Supervisor {
  private readonly started: Task[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  /** Starts the tasks one after another, in the order given. */
  async start(tasks: Task[]) {
    for (const task of tasks) {
      try {
        await task.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
      this.started.push(task);
      this.log.debug("started", { task: task.name });
    }
  }

  /** Stops what was started, last started first. A task whose stop fails is logged; the others still stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const task of this.started.reverse()) {
        try {
          await task.stop();
          this.log.debug("stopped", { task: task.name });
        } catch (error) {
          this.log.error("stopping failed", { task: task.name, error: String(error) });
        }
      }
    })();
    return this.stopping;
  }
}
