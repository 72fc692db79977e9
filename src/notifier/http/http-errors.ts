import { errorSchemaWith, unavailableOnFailure } from '../../platform/http/http-errors.js';

export {
  httpError,
  principalName,
  type ErrorItem,
  type PrincipalRequest,
} from '../../platform/http/http-errors.js';

export const errorSchema = errorSchemaWith();

/** Wraps store failures of a state change as 503. */
export function stateCall<T>(fn: () => Promise<T>): Promise<T> {
  return unavailableOnFailure('NOTIFIER.UNAVAILABLE', 'the change could not be committed', fn);
}
