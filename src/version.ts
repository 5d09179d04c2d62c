/** The tool's version, as in package.json (a unit test keeps the two equal). */
export const VERSION = '0.1.0';

declare const __KRL_MODEL_FINGERPRINT__: string | undefined;

/**
 * A hash of the model code (src/model/**) a bundle was built from, set by esbuild.mjs; undefined
 * when running from tsc's output or a watch build, which then never use precomputed results.
 */
export const MODEL_FINGERPRINT: string | undefined = typeof __KRL_MODEL_FINGERPRINT__ === 'string' ? __KRL_MODEL_FINGERPRINT__ : undefined;
