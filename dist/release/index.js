// belay release: the code is in dist/belay.
globalThis.belayCommand = 'release';
await import('../belay/index.js');
