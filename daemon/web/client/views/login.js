// Login with the gateway's own users (the same password file as MQTT): the one login check shared by
// every door, with its lockout after repeated failures.

import { useState } from 'preact/hooks';
import { html, Icon } from '../ui.js';
import { t } from '../strings.js';
import { login, ApiError } from '../api.js';

/** @typedef {import('../types.js').SessionInfo} SessionInfo */

/**
 * @param {{info: SessionInfo|null, note: string|null, onLoggedIn: (s: SessionInfo) => void}} props
 */
export function LoginView({ info, note, onLoggedIn }) {
  const [error, setError] = useState(/** @type {string|null} */ (null));
  const [busy, setBusy] = useState(false);

  /** @param {Event} e */
  const submit = async (e) => {
    e.preventDefault();
    const form = /** @type {HTMLFormElement} */ (e.currentTarget);
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    try {
      const s = await login(String(data.get('user') ?? ''), String(data.get('password') ?? ''));
      onLoggedIn(s);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      const body = err instanceof ApiError ? /** @type {any} */ (err.body) : null;
      setError(
        code === 'locked'
          ? t.loginLocked(body?.minutes ?? 15)
          : code === 'refused'
            ? t.loginRefused
            : code === 'no-role'
              ? t.loginNoRole
              : t.loginFailed,
      );
      const pw = /** @type {HTMLInputElement|null} */ (form.querySelector('input[name=password]'));
      if (pw) {
        pw.value = '';
        pw.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="login">
    <h1><${Icon} name="drop" /> ${info?.gateway?.name ?? t.appName}</h1>
    <section class="card" aria-labelledby="login-title">
      <h2 id="login-title">${t.loginTitle}</h2>
      <p>${t.loginIntro(info?.gateway?.name ?? null)}</p>
      ${note && html`<p class="notice" role="status">${note}</p>`}
      ${info?.usersExist === false && html`<p class="notice" role="status">${t.noUsersYet}</p>`}
      <form onSubmit=${submit} novalidate>
        <label for="user">${t.userName}</label>
        <input
          id="user"
          name="user"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
        />
        <label for="password">${t.password}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <div role="alert" class="error-area">
          ${error && html`<p class="error" data-testid="login-error"><${Icon} name="warning" /> ${error}</p>`}
        </div>
        <button type="submit" class="button primary wide" disabled=${busy}>
          ${busy ? t.loggingIn : t.logIn}
        </button>
      </form>
    </section>
  </div>`;
}
