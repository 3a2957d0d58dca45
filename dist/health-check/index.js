// belay health: the code is in dist/belay.
globalThis.belayCommand = 'health';
await import('../belay/index.js');
