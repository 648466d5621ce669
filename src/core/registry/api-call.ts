/** One Globus API call as the registry reports it: the http layer's record of an answered attempt. */
export type { ApiCall as ApiCallLike } from '../http/request.js';
