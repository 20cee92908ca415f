// Sizes in the config are written like `512KiB`, `1MiB` (binary units, so `1MiB` is exactly 1,048,576 bytes).
import { unitScale } from "./units.ts";

const sizes = unitScale("size", { B: 1, KiB: 1024, MiB: 1024 * 1024 }, "B");

export const SIZE_PATTERN = sizes.pattern;
/** Bytes. */
export const parseSize = sizes.parse;
export const formatSize = sizes.format;
