/** Where a pushed image came from, for its manifest: the commit, the run and the workflow. */
export function provenance(env: NodeJS.ProcessEnv): Record<string, string> {
  const source: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') source[key] = value;
  };
  put('git_sha', env.GITHUB_SHA);
  const server = env.GITHUB_SERVER_URL;
  const repository = env.GITHUB_REPOSITORY;
  const runId = env.GITHUB_RUN_ID;
  if (server && repository && runId) put('run_url', `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}`);
  put('repository', repository);
  put('ref', env.GITHUB_REF);
  put('workflow', env.GITHUB_WORKFLOW);
  return source;
}
