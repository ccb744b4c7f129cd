import { esc, layout } from "./layout.js";

/** The login form (a same-origin form POST to `/login`), with an error line when the last try failed. */
export function loginPage(error?: string): string {
  return layout(
    "Log in",
    null,
    `<h1>Log in</h1><form class="card" method="post" action="/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="error" role="alert">${error ? esc(error) : ""}</div>
<p><button type="submit">Log in</button></p></form>`,
  );
}
