/** One Globus API call as the registry reports it (mirrors the http layer's ApiCall). */
export interface ApiCallLike {
  method: string;
  url: string;
  status: number;
  requestId?: string;
  retries: number;
  durationMs: number;
}
