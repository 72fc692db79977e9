export { httpError, type ErrorItem } from '../platform/http/http-errors.js';
