import { handleWitnessRequest } from './http.ts';
import type { Witness, WitnessReply } from './witness.ts';

/** The Bun adapter: binds the witness's HTTP interface to a port. */
export interface RunningWitness {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export function serveWitness(
  witness: Witness,
  options: { port: number; hostname: string; onReply?: (reply: WitnessReply) => void },
): RunningWitness {
  const server = Bun.serve({
    port: options.port,
    hostname: options.hostname,
    fetch: (request) => handleWitnessRequest(witness, request, options.onReply),
  });
  return {
    url: `http://${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${server.port}`,
    port: server.port ?? options.port,
    stop: () => server.stop(true),
  };
}
