/**
 * The reference side of the signature tests: test/reference/sif-sign/main.go over sylabs/sif's
 * integrity package (Debian: golang-go golang-github-sylabs-sif-dev), built once in GOPATH
 * mode from /usr/share/gocode, offline, and kept under node_modules/.cache by source hash.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const GOCODE = '/usr/share/gocode';
const SOURCE = resolve('test/reference/sif-sign/main.go');

export function referenceBinary(): string {
  const source = readFileSync(SOURCE);
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cache = resolve('node_modules/.cache/sif-sign');
  const binary = join(cache, `sif-sign-${key}`);
  if (existsSync(binary)) return binary;
  if (!existsSync(join(GOCODE, 'src/github.com/sylabs/sif/pkg/integrity'))) {
    throw new Error('sylabs/sif is not installed: apt-get install golang-go golang-github-sylabs-sif-dev');
  }
  const gopath = join(cache, `gopath-${process.pid}`);
  rmSync(gopath, { recursive: true, force: true });
  // The module's import path carries /v2; GOPATH mode finds it through a link to the package folder.
  mkdirSync(join(gopath, 'src/github.com/sylabs/sif'), { recursive: true });
  symlinkSync(join(GOCODE, 'src/github.com/sylabs/sif'), join(gopath, 'src/github.com/sylabs/sif/v2'));
  mkdirSync(join(gopath, 'src/sifsign'), { recursive: true });
  writeFileSync(join(gopath, 'src/sifsign/main.go'), source);
  const partial = `${binary}.${process.pid}.partial`;
  execFileSync('go', ['build', '-o', partial, '.'], {
    cwd: join(gopath, 'src/sifsign'),
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: `${gopath}:${GOCODE}`,
      GOCACHE: join(cache, 'gocache'),
      GOFLAGS: '',
      GOPROXY: 'off',
    },
    stdio: 'pipe',
  });
  renameSync(partial, binary);
  rmSync(gopath, { recursive: true, force: true });
  return binary;
}

export interface ReferenceRun {
  status: number;
  stdout: string;
  stderr: string;
}

export function reference(args: string[], env: NodeJS.ProcessEnv = {}): ReferenceRun {
  const r = spawnSync(referenceBinary(), args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
