import { chromium, type Browser } from "playwright-core";

/** Where Debian's Chromium lives; `npm test` makes sure it is there first (see browser-setup.ts). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Starts Debian's Chromium headless, as the browser tests drive it: no sandbox (CI runs as root), no GPU, no network
 * of its own; `args` adds switches of a test's own (e.g. a host resolver rule).
 */
export function launchChromium(
  options: { readonly args?: readonly string[] } = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      ...(options.args ?? []),
    ],
  });
}
