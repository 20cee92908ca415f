// The event log's search, as a rule: a query finds the event with that id, the event of the delivery with that
// id, and the events whose object holds the query's words in that order. Words are runs of letters and digits,
// case folded, as SQLite's FTS5 `unicode61` tokenizer cuts them; the object's text is its string and number
// values in document order (keys, booleans and nulls are not searched). A store's index must agree with this.

/** The words of a text: runs of letters, digits and combining marks, lower-cased. */
export function searchWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
}

/** What of an object is searched: its string and number values in document order, joined by spaces. */
export function searchableText(object: unknown): string {
  const values: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string" || typeof value === "number") values.push(String(value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(object);
  return values.join(" ");
}

/** Whether `words` appear one after another somewhere in `text`'s words. */
function holdsPhrase(text: string[], words: string[]): boolean {
  if (words.length === 0) return false;
  for (let start = 0; start + words.length <= text.length; start++) {
    if (words.every((word, k) => text[start + k] === word)) return true;
  }
  return false;
}

export interface SearchableEvent {
  id: string;
  object: unknown;
  deliveries: readonly { id: string }[];
}

export function searchMatches(event: SearchableEvent, query: string): boolean {
  const q = query.trim();
  return event.id === q || event.deliveries.some((d) => d.id === q) || holdsPhrase(searchWords(searchableText(event.object)), searchWords(q));
}
