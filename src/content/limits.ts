import type { CodecContext, DecodeLimits } from './types.js';

/**
 * Default bounds for decoders: a hostile payload can never make a decoder allocate or recurse
 * without limit. Block-wise transfer caps the payload before it reaches a decoder; these caps
 * hold even when a caller skips that.
 */
export const DEFAULT_LIMITS: DecodeLimits = {
  maxPayloadBytes: 1024 * 1024,
  maxEntries: 10_000,
  maxDepth: 8,
  maxValueBytes: 256 * 1024,
};

export function limitsOf(ctx: CodecContext): DecodeLimits {
  return ctx.limits ? { ...DEFAULT_LIMITS, ...ctx.limits } : DEFAULT_LIMITS;
}
