// typebox checks `format` only for formats registered with it; plugin options use RFC 3339 date-times.
import { FormatRegistry } from "@sinclair/typebox";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

if (!FormatRegistry.Has("date-time")) {
  FormatRegistry.Set("date-time", (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
}
