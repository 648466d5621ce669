// A signed SIF for the benches of `pull --verify`: random bytes in one data object, signed as
// Apptainer signs (one group signature) with a fresh key. Needs `npm run build` first.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `<tmp>/signed.sif` of about `size` bytes and the signer's public key in
 * `<tmp>/bench-public.asc`; answers both paths.
 */
export async function writeSignedImage(tmp, size) {
  const { writeSif } = await import('../../lib/index.js');
  const { signSifFile } = await import('../../lib/core/signing/sign.js');
  const { readSigningKey } = await import('../../lib/core/signing/openpgp.js');
  const openpgp = await import('openpgp');
  const key = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'bench' }],
    format: 'armored',
  });
  const keyring = join(tmp, 'bench-public.asc');
  await writeFile(keyring, key.publicKey);
  const unsigned = join(tmp, 'unsigned.sif');
  async function* payload() {
    const block = Buffer.alloc(4 * 1024 * 1024);
    for (let at = 0; at < size; at += block.length) {
      const n = Math.min(block.length, size - at);
      for (let j = 0; j < n; j += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
      yield block.subarray(0, n);
    }
  }
  await writeSif(unsigned, { definition: 'Bootstrap: docker\nFrom: alpine\n', payloadStream: payload() });
  const image = join(tmp, 'signed.sif');
  await signSifFile(unsigned, image, await readSigningKey(key.privateKey, undefined, 'bench key'));
  await rm(unsigned, { force: true });
  return { image, keyring };
}
