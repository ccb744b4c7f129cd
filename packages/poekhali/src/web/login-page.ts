import { esc, layout } from "./layout.js";

// A narrow card in the middle: the one thing on the page, whatever the screen's width.
const LOGIN_STYLE = `<style>.login{max-width:380px;margin:8vh auto 0}.login input:not([type=checkbox]){max-width:none}
.login button{width:100%;margin-top:4px}</style>`;

/** The login form (a same-origin form POST to `/login`), with an error line when the last try failed. */
export function loginPage(error?: string): string {
  return layout(
    "Log in",
    null,
    `${LOGIN_STYLE}<div class="login"><h1>Log in to poekhali</h1><form class="card" method="post" action="/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="error" role="alert">${error ? esc(error) : ""}</div>
<p><button type="submit">Log in</button></p></form>
<p class="muted small">The username and password are the app's <code>POEKHALI_AUTH_USERNAME</code> and <code>POEKHALI_AUTH_PASSWORD</code>.</p></div>`,
  );
}
