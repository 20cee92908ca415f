// One Codex's pagination (GitHub's model): page and per_page in, a Link header and X-Total-Count out.
import { t } from "elysia";

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 500;
/** Beyond this the offset (page × per_page) would not be an exact integer; no store holds that many events. */
export const MAX_PAGE = Math.floor(Number.MAX_SAFE_INTEGER / MAX_PER_PAGE);

/** The query fields of every list; a list route checks them with the rest of its query (see query-check.ts). */
export const PageQuery = {
  page: t.Optional(t.Integer({ minimum: 1, maximum: MAX_PAGE, description: "from 1 (default 1)" })),
  per_page: t.Optional(t.Integer({ minimum: 1, maximum: MAX_PER_PAGE, description: `1 to ${MAX_PER_PAGE} (default ${DEFAULT_PER_PAGE})` })),
};

export function paginationHeaders(url: URL, page: number, perPage: number, total: number): Record<string, string> {
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (target: number, rel: string) => {
    const params = new URLSearchParams(url.search);
    params.set("page", String(target));
    params.set("per_page", String(perPage));
    return `<${url.pathname}?${params}>; rel="${rel}"`;
  };
  const links = [link(page, "self"), link(1, "first")];
  if (page > 1) links.push(link(Math.min(page - 1, last), "prev"));
  if (page < last) links.push(link(page + 1, "next"));
  links.push(link(last, "last"));
  return { link: links.join(", "), "x-total-count": String(total) };
}
