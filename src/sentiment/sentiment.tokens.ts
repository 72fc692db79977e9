/** Injection tokens of the sentiment service. */
export const SENTIMENT_CONFIG = Symbol('SENTIMENT_CONFIG');
/** The loaded model artifact (`LoadedArtifact`). */
export const MODEL_ARTIFACT = Symbol('MODEL_ARTIFACT');
/** Version string of the loaded model, reported in every result. */
export const MODEL_VERSION = Symbol('MODEL_VERSION');
