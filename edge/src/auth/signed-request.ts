/** The signed-request format lives in protocol/ (agent and edge share it); the edge adds its clock rule. */
export {
  REQUEST_HEADER as HEADER,
  REQUEST_SIGNING_PREFIX,
  requestSigningString,
  type SigningInput,
} from '@ceros/protocol';

/** How far a request's timestamp may be from the edge's clock; nonces are kept twice as long. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
