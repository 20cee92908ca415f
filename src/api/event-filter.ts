// The event-log filter as query parameters (and bulk-resend body fields): the schema and its reading, both
// made from the one declaration in domain/filter.ts.
import { t } from "elysia";
import { EVENT_FILTER_FIELDS, FILTER_FIELDS, FILTER_PARAMS, type EventFilter, type FilterField } from "../domain/filter.ts";
import { EVENT_STATUSES } from "../domain/vocabulary.ts";

const SCHEMA_OF_KIND = {
  text: t.Optional(t.String()),
  status: t.Optional(t.Union(EVENT_STATUSES.map((s) => t.Literal(s)))),
  time: t.Optional(t.String({ format: "date-time" })),
};
type Fields = typeof EVENT_FILTER_FIELDS;
type ParamSchemas = { [F in FilterField as Fields[F]["param"]]: (typeof SCHEMA_OF_KIND)[Fields[F]["kind"]] };

/** The filter's query parameters, each validated by its kind. */
export const FilterParams = Object.fromEntries(FILTER_FIELDS.map((f) => [EVENT_FILTER_FIELDS[f].param, SCHEMA_OF_KIND[EVENT_FILTER_FIELDS[f].kind]])) as ParamSchemas;

/** The parameters as validated: strings, a time still in RFC 3339. */
export type FilterQuery = { [P in keyof ParamSchemas]?: string };

/** How a validated parameter becomes the filter's value: a time travels as RFC 3339 and is kept as unix ms. */
const READ_KIND: { [K in keyof typeof SCHEMA_OF_KIND]: (raw: string) => unknown } = {
  text: (raw) => raw,
  status: (raw) => raw,
  time: (raw) => Date.parse(raw),
};

/** The filter a query asks for, within a key's scope. */
export function filterOf(query: FilterQuery, visibleSubscriptions: string[] | undefined): EventFilter {
  const filter: Record<string, unknown> = { visibleSubscriptions };
  for (const field of FILTER_FIELDS) {
    const raw = query[EVENT_FILTER_FIELDS[field].param];
    if (raw !== undefined) filter[field] = READ_KIND[EVENT_FILTER_FIELDS[field].kind](raw);
  }
  return filter as EventFilter;
}

/** Whether a query names any filter field (a bulk resend must: `ids` or a filter). */
export const namesAFilter = (query: FilterQuery) => FILTER_PARAMS.some((param) => query[param] !== undefined);

export const FILTER_PARAM_LIST = FILTER_PARAMS.join(", ");
