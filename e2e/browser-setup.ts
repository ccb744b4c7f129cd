/**
 * The first step of `npm test`: the browser tests drive Debian's Chromium at /usr/bin/chromium. Found: nothing to
 * do. Missing: installed here when this machine can (root, or passwordless sudo, and apt-get), saying so, as
 * `.ci/run` does; otherwise `npm test` stops at once, naming the one command that installs it. Browser tests are
 * never skipped silently.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/** Where the browser tests look for Chromium; the variable exists only for this check's own test. */
const CHROMIUM = process.env.POEKHALI_TEST_CHROMIUM_PATH ?? "/usr/bin/chromium";
const INSTALL = "sudo apt-get install -y chromium";

const runs = (command: string, args: string[]) =>
  spawnSync(command, args, { stdio: "ignore" }).status === 0;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** How this machine can run apt-get as root: directly, through passwordless sudo, or not at all (null). */
function asRoot(): string[] | null {
  if (!runs("apt-get", ["--version"])) return null;
  if (process.getuid?.() === 0) return [];
  return runs("sudo", ["-n", "true"]) ? ["sudo", "-n"] : null;
}

function stop(message: string): never {
  console.error(`npm test: ${message}`);
  process.exit(1);
}

if (!executable(CHROMIUM)) {
  const prefix = asRoot();
  if (!prefix)
    stop(
      `the browser tests need Debian's Chromium at ${CHROMIUM}, and this machine cannot install it unattended. Install it with:\n\n  ${INSTALL}\n`,
    );
  console.log(
    `npm test: Chromium is missing at ${CHROMIUM}; installing Debian's package for the browser tests (apt-get install chromium)…`,
  );
  const apt = (...args: string[]) => {
    const [command = "apt-get", ...rest] = [...prefix, "apt-get", ...args];
    return spawnSync(command, rest, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status;
  };
  if (apt("update", "-qq") !== 0 || apt("install", "-y", "-qq", "chromium"))
    stop(`installing Chromium failed; install it with:\n\n  ${INSTALL}\n`);
  if (!executable(CHROMIUM))
    stop(
      `apt-get installed chromium, but ${CHROMIUM} is still missing; install it with:\n\n  ${INSTALL}\n`,
    );
  console.log(`npm test: installed Chromium at ${CHROMIUM}.`);
}
