// The sign-in of the softphone and supervisor pages: a one-time link (`#signin=<code>`), a login
// and password, or (for developers) a token pasted or given as `?token=`. The token is kept in
// the tab's sessionStorage so that a reload stays signed in; signing out forgets it.
import { CallGateway } from '/sdk/1/callgateway.js';

const KEY = 'callgateway.session';
const $ = (id) => document.getElementById(id);

function remembered() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return saved && saved.expires > Date.now() + 60_000 ? saved.token : null;
  } catch {
    return null;
  }
}

/** Forgets the tab's token (after signing out, or when the gateway refused it). */
export function forgetSession() { sessionStorage.removeItem(KEY); }

/**
 * Wires the page's `#signin-form` (`#login`, `#password`), `#token` and `#connect`, and signs in
 * from the URL or the tab's saved token. `start(token)` connects the page and throws when the
 * gateway refuses; `fail(error)` shows an error.
 */
export async function signInPage(start, fail) {
  async function begin(token, expirationTime) {
    try {
      await start(token);
      if (expirationTime) sessionStorage.setItem(KEY, JSON.stringify({ token, expires: Date.parse(expirationTime) }));
    } catch (error) {
      forgetSession();
      fail(error);
    }
  }
  async function trade(credentials) {
    $('error').textContent = '';
    try {
      const session = await CallGateway.signIn(credentials);
      await begin(session.token, session.expirationTime);
    } catch (error) {
      fail(error);
    }
  }
  $('signin-form').onsubmit = (event) => {
    event.preventDefault();
    const password = $('password').value;
    $('password').value = '';
    trade({ login: $('login').value.trim(), password });
  };
  $('connect').onclick = () => { $('error').textContent = ''; begin($('token').value.trim()); };

  const link = new URLSearchParams(location.hash.slice(1)).get('signin');
  if (link) {
    // Out of the address bar and the history at once: the link works only once anyway.
    history.replaceState(null, '', location.pathname + location.search);
    return trade({ link });
  }
  const fromURL = new URLSearchParams(location.search).get('token');
  if (fromURL) {
    $('token').value = fromURL;
    return begin(fromURL);
  }
  const saved = remembered();
  if (saved) return begin(saved);
}
