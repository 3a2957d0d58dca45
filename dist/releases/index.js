// belay releases: the code is in dist/belay.
globalThis.belayCommand = 'releases';
await import('../belay/index.js');
