// Commit statuses on the Git host: one request shape per API, from the public references.
//   GitHub  POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: Bearer <token>
//           {state: pending|success|failure|error, target_url?, description? (≤ 140), context}
//           https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
//   GitLab  POST {api}/projects/{id}/statuses/{sha}          PRIVATE-TOKEN: <token>
//           {state: pending|running|success|failed|canceled, name?, target_url?, description?}
//           (id: numeric, or the URL-encoded path) https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
//   Gitea   POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: token <token>
//   Forgejo {state: pending|success|error|failure|warning, target_url?, description?, context?}
//           https://gitea.com/api/swagger#/repository/repoCreateStatus
// The context (GitLab: name) is `gitops-seal/<sync>`; the description names the stage and the
// first line of the cause, cut to 140 characters (GitHub's limit; the others take it too).
import { scrubSecrets } from '../log.js';
import { truncate } from './payloads.js';
import type { CommitStatusProvider } from './types.js';

/** A reconcile's result as a commit status, before it is put in a provider's words. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  sha: string;
  state: CommitState;
  sync: string;
  description: string;
  targetUrl?: string;
}

export const DESCRIPTION_MAX = 140;

/** The state words each API accepts (the receiving test server checks against these too). */
export const PROVIDER_STATES: Record<CommitStatusProvider, readonly string[]> = {
  github: ['pending', 'success', 'failure', 'error'],
  gitlab: ['pending', 'running', 'success', 'failed', 'canceled'],
  gitea: ['pending', 'success', 'error', 'failure', 'warning'],
};

function stateFor(provider: CommitStatusProvider, s: CommitState): string {
  if (provider !== 'gitlab') return s;
  // A reconcile under way is GitLab's "running"; GitLab has no "error": both failures are "failed".
  return s === 'pending' ? 'running' : s === 'success' ? 'success' : 'failed';
}

export const contextOf = (sync: string): string => `gitops-seal/${sync}`;

/** `owner/repo` split and encoded for a path; undefined when it is not exactly two parts. */
function ownerRepo(repository: string): string | undefined {
  const parts = repository.split('/');
  return parts.length === 2 && parts.every((p) => p !== '') ? parts.map(encodeURIComponent).join('/') : undefined;
}

export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The request posting `status` on `repository` through `apiUrl`, authenticated with `token`. */
export function statusRequest(
  provider: CommitStatusProvider,
  apiUrl: string,
  repository: string,
  token: string,
  status: CommitStatus,
): StatusRequest {
  const api = apiUrl.replace(/\/+$/, '');
  const sha = encodeURIComponent(status.sha);
  const description = truncate(scrubSecrets(status.description.split('\n', 1)[0] ?? ''), DESCRIPTION_MAX);
  const state = stateFor(provider, status.state);
  const target = status.targetUrl ? { target_url: status.targetUrl } : {};
  if (provider === 'gitlab') {
    // A numeric id as is; a path (group/sub/project) URL-encoded as one segment.
    const id = /^\d+$/.test(repository) ? repository : encodeURIComponent(repository);
    return {
      url: `${api}/projects/${id}/statuses/${sha}`,
      headers: { 'PRIVATE-TOKEN': token },
      body: JSON.stringify({ state, name: contextOf(status.sync), description, ...target }),
    };
  }
  const repo = ownerRepo(repository);
  if (!repo) throw new Error(`repository "${repository}" must be owner/repo`);
  const body = JSON.stringify({ state, context: contextOf(status.sync), description, ...target });
  if (provider === 'github')
    return {
      url: `${api}/repos/${repo}/statuses/${sha}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      body,
    };
  return { url: `${api}/repos/${repo}/statuses/${sha}`, headers: { authorization: `token ${token}`, accept: 'application/json' }, body };
}
