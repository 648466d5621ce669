/** Which image each file is pushed as, and the image a pull names, from the `name` input. */
import { basename } from 'node:path';
import { SregistryError } from '../core/errors.js';
import { DEFAULT_COLLECTION, isValidName, parseReference } from '../core/uri.js';

export interface ImageName {
  collection: string;
  name: string;
}

export interface PushTarget extends ImageName {
  file: string;
}

const SUFFIX = /\.(sif|simg|img)$/;

const invalid = (message: string): SregistryError => new SregistryError('INVALID_REFERENCE', message);

/** `collection/name` without tag or version; the tags come from the tags input. */
export function parseImageName(text: string): ImageName {
  if (/[:@]/.test(text)) {
    throw invalid(`Input name "${text}" has a tag or version; give collection/name only and put tags in the tags input`);
  }
  let ref;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw invalid(`Input name is not collection/name: ${(err as Error).message}`);
  }
  return { collection: ref.collection, name: ref.name };
}

function nameFromFile(file: string): string {
  const stem = basename(file).toLowerCase().replace(SUFFIX, '');
  if (!isValidName(stem)) {
    throw invalid(
      `The file name "${basename(file)}" does not make an image name ([a-z0-9][a-z0-9._-]*, at most 128 characters): rename the file or set the name input to collection/name`,
    );
  }
  return stem;
}

/**
 * Empty name: `library/<file name>`; `collection/`: `<collection>/<file name>`;
 * `collection/name`: that name, for one file only.
 */
export function pushTargets(files: string[], nameInput: string): PushTarget[] {
  if (nameInput === '') return files.map((file) => ({ file, collection: DEFAULT_COLLECTION, name: nameFromFile(file) }));
  if (nameInput.endsWith('/')) {
    const collection = nameInput.slice(0, -1);
    if (!isValidName(collection)) {
      throw invalid(`Input name "${nameInput}" does not start with a collection ([a-z0-9][a-z0-9._-]*, at most 128 characters)`);
    }
    return files.map((file) => ({ file, collection, name: nameFromFile(file) }));
  }
  const image = parseImageName(nameInput);
  if (files.length > 1) {
    throw invalid(
      `Input name "${nameInput}" names one image but images matched ${files.length} files; end name with "/" (e.g. ${image.collection}/) to name each image after its file`,
    );
  }
  return files.map((file) => ({ file, ...image }));
}
