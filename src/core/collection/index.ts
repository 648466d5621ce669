/** Files on a GCSv5 collection's HTTPS server: streamed, hashed uploads and resumable downloads. */
export {
  CollectionHttpsClient,
  type CollectionHttpsClientOptions,
  type CollectionTarget,
  type UploadSource,
  type UploadOptions,
  type DownloadOptions,
  type RemoteFileInfo,
  type TransferResult,
  type UploadResult,
  type HttpsTokens,
  type ApiCall,
} from './client.js';
export type { UploadProgress } from './upload-body.js';
export type { DownloadProgress, ChunkObserver, StageObserver } from './download.js';
export { collectionUrl, encodeCollectionPath } from './url.js';
export { RunningDigest } from './digest.js';
