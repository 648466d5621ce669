/** How the commands read the image they are given: every accepted spelling, through the core's one grammar. */
import { toImageUri } from '../index.js';

/** A remote image as `globus://<endpoint>/<collection>/<name>[:<tag>][@<version>]`, from that or `globus://<endpoint>:<path>` / `<endpoint>:<path>`. */
export const remoteImage = (text: string): string => toImageUri(text);
