// The plugin contract. A plugin module's default export is one of these plain objects. An external plugin
// file may `import type` from here for editor help; at run time Herald hands it "herald/plugin" (the define
// helpers and typebox's Type) and "@sinclair/typebox", so it needs no node_modules of its own.
import { Type, type Static, type TSchema } from "@sinclair/typebox";

/** The stored event a transformer shapes into a POST body. Times are unix milliseconds. */
export interface WebhookEvent {
  id: string;
  eventType: string;
  objectType: string;
  object: unknown;
  triggeredAt: number;
  createdAt: number;
}

/** What a plugin may know of its surroundings: the clock (so a signature's timestamp is the send time). */
export interface PluginContext {
  now(): number;
  subscriptionId: string;
}

export interface TransformResult {
  /** A string or bytes are sent as they are; anything else is sent as JSON. */
  body: unknown;
  contentType?: string;
}

export interface OutgoingRequest {
  url: string;
  /** The exact bytes that will be POSTed: sign these. */
  body: Uint8Array;
  contentType: string;
  deliveryId: string;
  /** 1 for the first attempt of a delivery, counting every attempt ever made (resends included). */
  attempt: number;
}

export interface TransformerPlugin<Options extends TSchema = TSchema> {
  kind: "transformer";
  name: string;
  options?: Options;
  /** The event types this transformer can shape; a subscription using it may name no others. Absent: all. */
  eventTypes?: string[];
  transform(event: WebhookEvent, options: Static<Options>, ctx: PluginContext): TransformResult | Promise<TransformResult>;
}

export interface AuthPlugin<Options extends TSchema = TSchema> {
  kind: "auth";
  name: string;
  options?: Options;
  /** The headers this plugin sets: a subscription using it may not set them in its own `headers`. */
  headerNames: string[];
  /** Header names listed here are shown as "[redacted]" in the attempt log. */
  secretHeaders?: string[];
  /**
   * For plugins that sign with a shared secret held in options `secret` and `previous_secrets: [{secret, until}]`:
   * makes a new secret, so Herald can fill one in when a subscription created through the API leaves `secret`
   * out (shown once) and rotate it with a grace period (the old one stays in previous_secrets until then).
   */
  generateSecret?(): string;
  headers(request: OutgoingRequest, options: Static<Options>, ctx: PluginContext): Record<string, string> | Promise<Record<string, string>>;
}

export type Plugin = TransformerPlugin<any> | AuthPlugin<any>;

/** Identity helpers that give a plugin file full type inference of its options. */
export const defineTransformer = <O extends TSchema>(plugin: TransformerPlugin<O>) => plugin;
export const defineAuth = <O extends TSchema>(plugin: AuthPlugin<O>) => plugin;
export { Type };
