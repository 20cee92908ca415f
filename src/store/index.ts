// The store as the rest of Herald sees it: the port (one interface per aggregate) and the records it speaks in.
// Which database stands behind it is chosen once, where Herald is wired (store/sqlite/ today).
export type * from "./port.ts";
export type * from "./types.ts";
export { HEALTHY } from "./types.ts";
