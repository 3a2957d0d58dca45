// belay restore: the code is in dist/belay.
globalThis.belayCommand = 'restore';
await import('../belay/index.js');
