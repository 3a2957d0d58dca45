import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 887;
export const ids = [887];
export const modules = {

/***/ 6887:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   githubDeployments: () => (/* binding */ githubDeployments)
/* harmony export */ });
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2413);
/** GitHub Deployments through @actions/github (the REST API at GITHUB_API_URL), behind belay's DeploymentService. */

const repo = () => {
    const [owner = '', name = ''] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
    return { owner, repo: name };
};
const githubDeployments = {
    async create(request) {
        const octokit = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q(request.token);
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
        if (!('id' in response.data))
            throw new Error(response.data.message ?? 'GitHub did not create it');
        return response.data.id;
    },
    async status(token, id, state, description, url) {
        await _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q(token).rest.repos.createDeploymentStatus({
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


/***/ })

};
