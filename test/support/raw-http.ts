// A request written by hand over TCP, so a test can send its headers and then as much (or as little) of its
// body as it likes, and read what Herald answered meanwhile.
import type { Socket } from "bun";

export interface RawRequest {
  /** Queues body bytes; they go out as fast as the socket takes them. */
  write(bytes: Uint8Array | string): void;
  /** Resolves once everything queued has been handed to the socket. */
  flushed(): Promise<void>;
  /** What came back so far (the status line first). */
  answer(): string;
  /** Resolves with the answer's status once its status line has arrived, bounded by `timeoutMs`. */
  status(timeoutMs?: number): Promise<number>;
  close(): void;
}

export async function openRequest(port: number, head: string): Promise<RawRequest> {
  let answer = "";
  let pending: Uint8Array[] = [];
  let flushedWaiters: (() => void)[] = [];
  let socket!: Socket<undefined>;
  const pump = () => {
    while (pending.length > 0) {
      const chunk = pending[0]!;
      const written = socket.write(chunk);
      if (written < 0) return; // closed: whatever is left is dropped
      if (written < chunk.byteLength) {
        pending[0] = chunk.subarray(written);
        return; // the rest goes at the next drain
      }
      pending.shift();
    }
    for (const resolve of flushedWaiters.splice(0)) resolve();
  };
  socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_socket, data) => void (answer += data.toString("latin1")),
      drain: pump,
      close: () => {
        pending = [];
        for (const resolve of flushedWaiters.splice(0)) resolve();
      },
      error: () => {},
    },
  });
  const request: RawRequest = {
    write(bytes) {
      pending.push(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
      pump();
    },
    flushed: () => (pending.length === 0 ? Promise.resolve() : new Promise((resolve) => flushedWaiters.push(resolve))),
    answer: () => answer,
    async status(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!/^HTTP\/1\.1 \d{3}/.test(answer)) {
        if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms (got ${JSON.stringify(answer.slice(0, 100))})`);
        await Bun.sleep(10);
      }
      return Number(answer.slice(9, 12));
    },
    close: () => socket.end(),
  };
  request.write(head);
  return request;
}

/** The headers of a POST declaring `length` body bytes; `authorization` only if given. */
export function postHead(path: string, length: number, authorization?: string): string {
  const auth = authorization === undefined ? "" : `Authorization: ${authorization}\r\n`;
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${auth}Content-Length: ${length}\r\n\r\n`;
}
