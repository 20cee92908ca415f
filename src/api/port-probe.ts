// Whether the API's address can be bound, asked before anything opens the database: a start that cannot
// listen (the port is taken) then fails having written nothing (no file created, no migration, no key made).
export function assertCanListen(host: string, port: number): void {
  if (port === 0) return; // any free port: nothing to be refused
  try {
    const probe = Bun.serve({ hostname: host, port, reusePort: false, fetch: () => new Response(null, { status: 503 }) });
    probe.stop(true);
  } catch (error) {
    throw new Error(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
}
