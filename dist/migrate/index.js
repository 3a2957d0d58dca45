// belay migrate: the code is in dist/belay.
globalThis.belayCommand = 'migrate';
await import('../belay/index.js');
