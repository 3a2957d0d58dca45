import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 865;
export const ids = [865];
export const modules = {

/***/ 2865:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   githubCache: () => (/* binding */ githubCache)
/* harmony export */ });
/* harmony import */ var _actions_cache__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7131);
/** The Actions cache for build-image's local layer cache: @actions/cache behind belay's CacheService. */

const githubCache = {
    async restore(paths, key, restoreKeys) {
        if (!_actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .isFeatureAvailable */ .w3())
            return undefined;
        return _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .restoreCache */ .P3(paths, key, restoreKeys);
    },
    async save(paths, key) {
        if (!_actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .isFeatureAvailable */ .w3())
            throw new Error('no Actions cache service in this job');
        // saveCache logs why it did not save (a key another job saved first, a refused upload) and answers -1.
        if ((await _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .saveCache */ .Io(paths, key)) === -1)
            throw new Error('the cache service did not keep it, see above');
    },
};


/***/ })

};
