/** Public API of the notifier domain (pure): what the service layer wires to Kafka/DB/HTTP. */
export {
  NotificationScheduler,
  SCHEDULER_LIMITS,
  notificationId,
  pickGroupLabels,
} from './notification-scheduler.js';
export type {
  GroupState,
  IngestResult,
  Notification,
  SchedulerChanges,
  SchedulerState,
} from './notification-scheduler.js';
export {
  ROUTE_DEFAULTS,
  severityRank,
  subscriptionMatches,
  validateSubscription,
} from './subscription.js';
export type {
  CompiledSubscription,
  Receiver,
  RouteTiming,
  Subscription,
  SubscriptionFilter,
} from './subscription.js';
export {
  buildWebhookPayload,
  formatLogLines,
  toWebhookAlert,
  ZERO_TIME,
} from './webhook-payload.js';
export type { PayloadOptions, WebhookAlert, WebhookPayload } from './webhook-payload.js';
export {
  ALERTMANAGER_FIRING_TTL_MS,
  toPostableAlert,
  toPostableAlerts,
} from './alertmanager-api.js';
export type { PostableAlert, PostableOptions } from './alertmanager-api.js';
export {
  DEFAULT_TOLERANCE_SEC,
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
} from './webhook-signature.js';
export type { DeliveryHeaderInput, VerifyResult } from './webhook-signature.js';
export {
  backoffDelay,
  classifyOutcome,
  decideRetry,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  seededRandom,
} from './retry-policy.js';
export type {
  DeadLetterReason,
  DeliveryOutcome,
  RetryDecision,
  RetryInput,
  RetryPolicy,
} from './retry-policy.js';
export {
  checkWebhookTarget,
  DEFAULT_TARGET_POLICY,
  isPublicAddress,
  parseIp,
} from './url-allowlist.js';
export type { TargetCheck, TargetPolicy } from './url-allowlist.js';
export type { LabelMatcher } from '../../platform/labels/label-matchers.js';
