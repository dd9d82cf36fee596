/**
 * One Omnitron login per process, shared by every activity execution of the worker: the token is kept in memory only,
 * concurrent calls that need one wait for the same login (single flight), and logins are throttled as the reference
 * implementation throttles them — at most 3 in 6 minutes (`akinon/channel_app` core/clients.py) — with a backoff
 * after a login that failed for a transient reason. A call that may not log in yet fails with a RateLimitedError
 * naming the wait, so Temporal retries the activity then instead of the worker hammering `auth/login/`.
 *
 * A cluster of N workers therefore makes at most N logins when it starts and when the token expires (one each), and
 * never more than 3 per worker in any 6 minutes.
 */
import type { AxiosInstance } from 'axios';
import { parseResponse, RateLimitedError, StockflowError } from '../http/errors';
import { loginResponseSchema } from './schemas';

export const LOGINS_PER_WINDOW = 3;
export const LOGIN_WINDOW_MS = 6 * 60_000;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

export class OmnitronSession {
  #token: string | undefined;
  #login: Promise<string> | undefined;
  /** When the recent logins were made (ms), oldest first. */
  readonly #logins: number[] = [];
  /** After a failed login: no new one before this time (ms), and the backoff that led to it. */
  #retryAt = 0;
  #backoffMs = 0;

  constructor(
    private readonly http: AxiosInstance,
    private readonly username: string,
    private readonly password: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current token, logging in first when there is none. */
  token(): Promise<string> {
    if (this.#token) return Promise.resolve(this.#token);
    this.#login ??= this.login().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  /** The token was refused (401): forget it, unless a newer one already replaced it. */
  refused(token: string): void {
    if (this.#token === token) this.#token = undefined;
  }

  private async login(): Promise<string> {
    const now = this.now();
    while (this.#logins.length > 0 && (this.#logins[0] ?? 0) <= now - LOGIN_WINDOW_MS) this.#logins.shift();
    const waitMs = Math.max(
      this.#retryAt - now,
      this.#logins.length >= LOGINS_PER_WINDOW ? (this.#logins[0] ?? now) + LOGIN_WINDOW_MS - now : 0,
    );
    if (waitMs > 0) {
      throw new RateLimitedError(
        {
          api: 'omnitron',
          method: 'POST',
          path: '/auth/login/',
          serverMessage: `stockflow holds back its next login (at most ${LOGINS_PER_WINDOW} in ${LOGIN_WINDOW_MS / 60_000} minutes, backoff after a failed one)`,
        },
        waitMs,
      );
    }
    this.#logins.push(now);
    try {
      const { data } = await this.http.post<unknown>('auth/login/', {
        username: this.username,
        password: this.password,
      });
      this.#token = parseResponse(loginResponseSchema, data, 'login').key;
      this.#backoffMs = 0;
      return this.#token;
    } catch (err) {
      // A transient failure (5xx, timeout) backs off, doubling; refused credentials are not retried anyway.
      if (err instanceof StockflowError && err.retryable) {
        this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs > 0 ? this.#backoffMs * 2 : FIRST_BACKOFF_MS);
        this.#retryAt = this.now() + this.#backoffMs;
      }
      throw err;
    }
  }
}
