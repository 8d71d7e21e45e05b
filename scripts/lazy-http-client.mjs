// What @actions/core's OIDC client imports as '@actions/http-client' in the action's bundle
// (scripts/build.mjs): the same HttpClient, loaded when a request is made. @actions/core imports
// the HTTP client (and with it undici, ~800 KiB) at start-up only for getIDToken, which runs in
// mode manifest's attestation at most; every other run no longer parses and runs it at start.
export class HttpClient {
  constructor(...args) {
    this.args = args;
  }

  async getJson(...request) {
    const { HttpClient: Real } = await import('@actions/http-client');
    return new Real(...this.args).getJson(...request);
  }
}
