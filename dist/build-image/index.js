// belay build: the code is in dist/belay.
globalThis.belayCommand = 'build';
await import('../belay/index.js');
