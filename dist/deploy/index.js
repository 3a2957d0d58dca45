// belay deploy: the code is in dist/belay.
globalThis.belayCommand = 'deploy';
await import('../belay/index.js');
