/** GitHub Deployments through @actions/github (the REST API at GITHUB_API_URL), behind belay's DeploymentService. */
import * as github from '@actions/github';
import type { DeploymentService } from '../deploy/deployments.js';

const repo = () => {
  const [owner = '', name = ''] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
  return { owner, repo: name };
};

export const githubDeployments: DeploymentService = {
  async create(request) {
    const octokit = github.getOctokit(request.token);
    const response = await octokit.rest.repos.createDeployment({
      ...repo(),
      ref: request.ref,
      environment: request.environment,
      description: request.description,
      payload: { ...request.payload },
      // belay's own gate is the check that counts; a deploy is not held back by commit statuses or merged.
      auto_merge: false,
      required_contexts: [],
      production_environment: /^prod/i.test(request.environment),
    });
    if (!('id' in response.data)) throw new Error(response.data.message ?? 'GitHub did not create it');
    return response.data.id;
  },
  async status(token, id, state, description, url) {
    await github.getOctokit(token).rest.repos.createDeploymentStatus({
      ...repo(),
      deployment_id: id,
      state,
      description: description.slice(0, 140),
      ...(url ? { environment_url: url } : {}),
      // A new success marks the environment's earlier deployments inactive, as GitHub's own UI expects.
      auto_inactive: true,
    });
  },
};
