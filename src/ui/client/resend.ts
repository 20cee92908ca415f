// Bulk resend: Herald answers at once with a job, followed here until it is done.
import { getJob, resendEvents, type EventFilter, type JobResource } from "./api.ts";
import { formatCount, plural } from "./dom.ts";
import type { PageContext } from "./context.ts";

const JOB_POLL_MS = 500;

/** Resends the selection and tells the user how it went; resolves once Herald has finished (or failed). */
export async function bulkResend(selection: { ids: string[] } | EventFilter, context: PageContext): Promise<boolean> {
  context.announce("Resending…");
  try {
    return await followJob(await resendEvents(selection), context);
  } catch (error) {
    context.fail(error);
    return false;
  }
}

async function followJob(start: JobResource, context: PageContext): Promise<boolean> {
  let job = start;
  while (job.state === "running") {
    context.announce(`Resending: ${formatCount(job.done)} of ${plural(job.total, "event")} done…`);
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
    job = await getJob(start.$uri);
  }
  if (job.state === "failed") {
    context.announce(`The resend stopped after ${plural(job.done, "event")}${job.error ? `: ${job.error}` : "."}`, "error");
    return false;
  }
  context.announce(`Resent ${plural(job.resent, "event")}. New attempts show here as they are made.`);
  return true;
}

/** The whole filter, as the bulk endpoint takes it; "everything" is spelled as a time range it cannot miss. */
export function matchingSelection(filter: EventFilter): EventFilter {
  const selection = Object.fromEntries(Object.entries(filter).filter(([, value]) => value)) as EventFilter;
  // The endpoint refuses an empty selection (a guard against resending all by mistake); here "all" is meant.
  return Object.keys(selection).length > 0 ? selection : { since: new Date(0).toISOString() };
}
