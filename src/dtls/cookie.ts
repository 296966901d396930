/**
 * Stateless cookies for HelloVerifyRequest (RFC 6347 §4.2.1): Cookie = HMAC(Secret,
 * client address/port || ClientHello fields), so the server keeps no state and sends no
 * more than a small HelloVerifyRequest until the client proves it receives at its address.
 * The secret rotates; a cookie made with the previous secret is still honoured, as §4.2.1
 * suggests, so a handshake straddling a rotation does not fail.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

export const COOKIE_LENGTH = 16;

export class CookieIssuer {
  readonly #clock: Clock;
  readonly #rotateMs: number;
  #secret = randomBytes(32);
  #previous: Buffer | undefined;
  #rotatedAt: number;

  constructor(clock: Clock, rotateMs = 5 * 60_000) {
    this.#clock = clock;
    this.#rotateMs = rotateMs;
    this.#rotatedAt = clock.now();
  }

  #maybeRotate(): void {
    const now = this.#clock.now();
    if (now - this.#rotatedAt < this.#rotateMs) return;
    // After two periods of silence the old secret is stale too.
    this.#previous = now - this.#rotatedAt < 2 * this.#rotateMs ? this.#secret : undefined;
    this.#secret = randomBytes(32);
    this.#rotatedAt = now;
  }

  #mac(secret: Buffer, peer: string, helloWithoutCookie: Buffer): Buffer {
    return createHmac('sha256', secret).update(peer).update('\0').update(helloWithoutCookie).digest().subarray(0, COOKIE_LENGTH);
  }

  issue(peer: string, helloWithoutCookie: Buffer): Buffer {
    this.#maybeRotate();
    return this.#mac(this.#secret, peer, helloWithoutCookie);
  }

  verify(peer: string, helloWithoutCookie: Buffer, cookie: Buffer): boolean {
    this.#maybeRotate();
    if (cookie.length !== COOKIE_LENGTH) return false;
    if (timingSafeEqual(cookie, this.#mac(this.#secret, peer, helloWithoutCookie))) return true;
    return this.#previous !== undefined && timingSafeEqual(cookie, this.#mac(this.#previous, peer, helloWithoutCookie));
  }
}
