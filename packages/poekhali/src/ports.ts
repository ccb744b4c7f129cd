import { createServer } from "node:net";

/** Returns the port as given, or a free one on `host` when it is 0. */
export async function choosePort(port: number, host = "127.0.0.1"): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}
