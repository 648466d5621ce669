/** An error the sandbox answers with, in the shape the real Transfer API uses. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra top-level keys of the body, e.g. `required_scopes` or `authorization_parameters`. */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export const notFound = (what: string): SandboxError =>
  new SandboxError(404, 'ClientError.NotFound', `${what} not found`);

export const badRequest = (message: string, code = 'ClientError.BadRequest'): SandboxError =>
  new SandboxError(400, code, message);

export const permissionDenied = (message: string): SandboxError =>
  new SandboxError(403, 'EndpointPermissionDenied', message);
