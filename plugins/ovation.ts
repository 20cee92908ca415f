// Ovation's webhook events. Ovation does not publish a body format; Herald's is documented in the README:
// `{ event, event_id, object_type, object, triggered_at }`, naming the event and carrying the object whole.
import { defineTransformer } from "../src/plugins/contract.ts";

export const OVATION_EVENTS = [
  "requisition_signed_accession",
  "report_signed",
  "report_corrected",
  "report_ready_for_generation",
  "report_correction_ready_for_generation",
  "sample_rejected",
  "requisition_canceled",
];

export default defineTransformer({
  kind: "transformer",
  name: "ovation",
  eventTypes: OVATION_EVENTS,
  transform: (event) => ({
    contentType: "application/json",
    body: {
      event: event.eventType,
      event_id: event.id,
      object_type: event.objectType,
      object: event.object,
      triggered_at: new Date(event.triggeredAt).toISOString(),
    },
  }),
});
